package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wecom"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// The WeCom channel's dependencies, wired here.
var (
	_ wecom.Store  = (*store.Wecom)(nil)
	_ wecom.Sender = (*wecom.API)(nil)
)

func runWecom(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return runWecomCheck(ctx, env, args[1:])
	}
	fmt.Fprintln(env.Stderr, "Usage: linli wecom check [--offline]")
	if len(args) == 0 {
		return errReported
	}
	return fmt.Errorf("unknown wecom command %q", args[0])
}

// wecomSecret is the content of the [wecom] secret_file.
type wecomSecret struct {
	Secret string `toml:"secret"`
}

// loadWecomSecret reads the secret file, refusing one that anyone but its
// owner may read or that has anything but the secret in it.
func loadWecomSecret(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is missing: create it with secret = \"…\" (the customer-contact secret, 客户联系 → API), mode 0600", path)
	}
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var s wecomSecret
	md, err := toml.Decode(string(data), &s)
	if err != nil {
		// The decoder's message may quote the file: say only where.
		return "", fmt.Errorf("%s is not valid TOML (key: secret)", path)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return "", fmt.Errorf("%s: unknown key %s (the only key is secret)", path, u[0])
	}
	if s.Secret == "" {
		return "", fmt.Errorf("%s: secret is empty", path)
	}
	return s.Secret, nil
}

// newWecomAPI makes the WeCom API client of linli.toml. Call it after
// the official account's (startWechat), whose client it wraps.
func newWecomAPI(hm home, wc config.Wecom) (*wecom.API, error) {
	secret, err := loadWecomSecret(hm.inHome(wc.SecretFile))
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	return wecom.NewAPI(wecom.APIConfig{CorpID: wc.CorpID, Secret: secret, BaseURL: wc.APIURL, Timeout: wc.APITimeout})
}

// startWecom starts the WeCom channel of linli.toml, keeping its queue in
// gw and telling the admins of trouble through alerter.
func startWecom(env *Env, hm home, conf config.Config, gw *store.Gateway, tset *templates.Set, alerter bot.AdminAlerter, logger *slog.Logger) (*wecom.Announcer, error) {
	wc := conf.Wecom
	api, err := newWecomAPI(hm, wc)
	if err != nil {
		return nil, err
	}
	a := wecom.New(api, gw.Wecom(), tset)
	a.Groups = wecomGroups(wc)
	a.PerDay, a.PerMonth, a.OfficialAccount = wc.PerDay, wc.PerMonth, wc.OfficialAccount
	a.CheckAfter, a.ConfirmBy = wc.CheckAfter, wc.ConfirmBy
	a.Alerter, a.Logger = alerter, logger
	if err := a.Open(); err != nil {
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "linli: WeCom customer groups: %d, at most %s\n", len(a.Groups), wecomBudget(wc))
	return a, nil
}

func wecomGroups(wc config.Wecom) []wecom.Group {
	var gs []wecom.Group
	for _, g := range wc.Groups {
		gs = append(gs, wecom.Group{ChatID: g.ChatID, Owner: g.Owner, Building: g.Building})
	}
	return gs
}

// wecomBudget says the groups' budget in words.
func wecomBudget(wc config.Wecom) string {
	month := "the days of the month"
	if wc.PerMonth > 0 {
		month = fmt.Sprint(wc.PerMonth)
	}
	return fmt.Sprintf("%d group message(s) a day and %s a month per group", wc.PerDay, month)
}

func runWecomCheck(ctx context.Context, env *Env, args []string) error {
	hm, rep, conf, offline, err := checkStart(env, "wecom check", "WeCom", args)
	if err != nil {
		return err
	}
	ok, bad := rep.ok, rep.bad
	wc := conf.Wecom
	if wc.Enabled {
		ok("[wecom] enabled: `linli start` posts the important public notices to %d customer group(s)", len(wc.Groups))
	} else {
		bad("[wecom] enabled = false in %s: `linli start` will not post to WeCom groups", hm.linliConfig())
	}
	if wc.CorpID == "" {
		bad("[wecom] corp_id is empty")
	} else {
		ok("corp_id %s", wc.CorpID)
	}
	ok("budget: %s; what waits is merged into the next message", wecomBudget(wc))
	if wc.OfficialAccount == "" {
		ok("official_account is empty: messages end with 在公众号里回复 菜单, without the account's name")
	} else {
		ok("messages end with how to reach the official account 「%s」", wc.OfficialAccount)
	}
	for _, g := range wc.Groups {
		where := "the community's notices only"
		if g.Building != "" {
			where = "building " + g.Building + "'s votes and the community's notices"
		}
		ok("group %s (owner %s): %s", g.ChatID, g.Owner, where)
	}
	secPath := hm.inHome(wc.SecretFile)
	secret, err := loadWecomSecret(secPath)
	if err != nil {
		bad("%v", err)
	} else {
		ok("%s: mode 0600, secret set", secPath)
	}
	if !offline && wc.CorpID != "" && secret != "" {
		api, err := wecom.NewAPI(wecom.APIConfig{CorpID: wc.CorpID, Secret: secret, BaseURL: wc.APIURL, Timeout: wc.APITimeout})
		if err != nil {
			bad("%v", err)
		} else {
			cctx, cancel := context.WithTimeout(ctx, 2*wc.APITimeout*time.Duration(1+len(wc.Groups)))
			defer cancel()
			if err := api.Check(cctx); err != nil {
				bad("access token: %v (check corp_id, the secret and the trusted IPs, 企业可信IP)", err)
			} else {
				ok("access token: WeCom accepts the corp id and secret")
				for _, g := range wc.Groups {
					info, err := api.Group(cctx, g.ChatID)
					switch {
					case err != nil:
						bad("group %s: %v (is the chat id right, and the group a customer group of this company?)", g.ChatID, err)
					case info.Owner != g.Owner:
						bad("group %s 「%s」: its owner is %s, not %s: WeCom sends as the owner", g.ChatID, info.Name, info.Owner, g.Owner)
					default:
						ok("group %s 「%s」: owner %s, %d members", g.ChatID, info.Name, info.Owner, info.Members)
					}
				}
			}
		}
	}
	if rep.failed {
		return errReported
	}
	return nil
}
