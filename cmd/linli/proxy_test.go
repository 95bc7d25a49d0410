package main

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci"
)

// TestProxyByCommandLine: an admin records a paper 委托书 for an outsider
// with linli tx (the agent code is made on the admin's machine and shown
// once), the outsider accepts it as a chat user, and linli query shows the
// appointment; one without its scan hash is refused; the limit of owners
// per proxy is a parameter set at init.
func TestProxyByCommandLine(t *testing.T) {
	h, rpc := testHome(t, "--min-notice", "0s", "--max-proxies", "2")
	runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}
	tx := func(args ...string) string { return mustRun(t, append(append([]string{"tx"}, args...), cl...)...) }

	if p := decode[abci.Params](t, mustRun(t, append([]string{"query", "params"}, cl...)...)); p.MaxProxies != 2 {
		t.Errorf("max_proxies = %d, want 2 from --max-proxies", p.MaxProxies)
	}
	tx("unit.register", `{"units":[{"unit":"3-501","building":"3","area":10000,"owner":"O-1"},{"unit":"3-502","building":"3","area":9000,"owner":"O-2"}]}`)
	const scan = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

	out, _, err := run(t, append([]string{"tx", "proxy.appoint", `{"proxy":"new-agent-code","until":"2030-06-30","owner":"O-1"}`}, cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(out, "proxy_authorisation_missing") || !strings.Contains(out, "扫描件") {
		t.Errorf("appointment without the scan: %v\n%s", err, out)
	}
	if strings.Contains(out, "agent_code") {
		t.Errorf("a refused appointment shows an agent code:\n%s", out)
	}

	out = tx("proxy.appoint", `{"proxy":"new-agent-code","until":"2030-06-30","owner":"O-1","authorisation_sha256":"`+scan+`"}`)
	dec := json.NewDecoder(strings.NewReader(out))
	var receipt struct {
		Code    uint32         `json:"code"`
		Created map[string]any `json:"created"`
	}
	var shown struct {
		AgentCode   string `json:"agent_code"`
		Appointment uint64 `json:"appointment"`
	}
	if dec.Decode(&receipt) != nil || dec.Decode(&shown) != nil || receipt.Code != 0 {
		t.Fatalf("appointment output:\n%s", out)
	}
	if !regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`).MatchString(shown.AgentCode) || shown.Appointment != 1 {
		t.Fatalf("shown = %+v, want a grouped 16-digit code for appointment 1", shown)
	}
	p := decode[abci.AppointmentView](t, mustRun(t, append([]string{"query", "proxy/1"}, cl...)...))
	if p.Status != abci.ProxyPending || p.AuthorisationSHA256 != scan || p.Until == 0 {
		t.Errorf("proxy/1 = %+v", p)
	}

	tx("proxy.accept", `{"id":1,"code":"`+shown.AgentCode+`"}`, "--as", "console:son")
	list := decode[[]abci.AppointmentView](t, mustRun(t, append([]string{"query", "proxies/O-1"}, cl...)...))
	if len(list) != 1 || list[0].Status != abci.ProxyActive || !list[0].InForce || list[0].Proxy == "" {
		t.Fatalf("proxies/O-1 = %+v, want the accepted appointment in force", list)
	}
	held := decode[[]abci.AppointmentView](t, mustRun(t, append([]string{"query", "proxies/by/" + string(list[0].Proxy)}, cl...)...))
	m := decode[abci.MemberView](t, mustRun(t, append([]string{"query", "members/" + string(list[0].Proxy)}, cl...)...))
	if len(held) != 1 || !m.Agent {
		t.Errorf("the agent holds %+v and is %+v, want one appointment and agent", held, m)
	}
	// The agent may do nothing else.
	out, _, err = run(t, append([]string{"tx", "meeting.request", `{"topic":"临时大会"}`, "--as", "console:son"}, cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(out, "agent_only_votes") {
		t.Errorf("the agent's meeting request: %v\n%s", err, out)
	}
}
