package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/linli-community/linli/abci/tx"
)

// agentCodeWord is what `linli tx proxy.appoint` takes as "proxy" for an
// outsider: a new agent code is made here, only its verifier goes on the
// chain, and the code is printed once for the owner's agent.
const agentCodeWord = "new-agent-code"

// decodeProxyBody decodes the proxy bodies as typed on the command line.
// proxy.accept is typed with the agent code, {"id","code"}: submit turns
// it into the proof the chain wants. proxy.appoint takes "proxy":
// "new-agent-code" to appoint someone from outside; the new code is
// returned as secret, to be shown once. ok is false for other types.
func decodeProxyBody(t tx.Type, raw []byte) (body tx.Body, secret string, ok bool, err error) {
	switch t {
	case tx.TypeProxyAccept:
		var in struct {
			ID   uint64 `json:"id"`
			Code string `json:"code"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, "", true, fmt.Errorf("proxy.accept wants {\"id\",\"code\"}: %w", err)
		}
		code, valid := tx.NormalizeBindCode(in.Code)
		if !valid || in.ID == 0 {
			return nil, "", true, fmt.Errorf("proxy.accept: id is the appointment's number and code its %d-digit agent code", tx.BindCodeDigits)
		}
		return &tx.ProxyAccept{ID: in.ID, Code: code}, "", true, nil
	case tx.TypeProxyAppoint:
		var in map[string]json.RawMessage
		if json.Unmarshal(raw, &in) != nil || string(in["proxy"]) != `"`+agentCodeWord+`"` {
			return nil, "", false, nil
		}
		code, err := newBindCode()
		if err != nil {
			return nil, "", true, err
		}
		salt := make([]byte, tx.BindCodeSaltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, "", true, err
		}
		v, _ := json.Marshal(tx.NewBindVerifier(code, salt))
		in["proxy"] = v
		b, _ := json.Marshal(in)
		body, err := tx.DecodeBody(t, b)
		return body, tx.GroupBindCode(code), true, err
	}
	return nil, "", false, nil
}

// printAgentCode shows a new agent code once, after its appointment was
// recorded, with what the agent types to accept it.
func printAgentCode(env *Env, code string, created map[string]any) {
	printJSON(env, struct {
		AgentCode   string `json:"agent_code"`
		Appointment any    `json:"appointment"`
		Note        string `json:"note"`
	}{code, created["proxy"], "只显示这一次。代理人在公众号发送：代理 业主的房号 代理码；或 linli tx proxy.accept '{\"id\":N,\"code\":\"…\"}'"})
}
