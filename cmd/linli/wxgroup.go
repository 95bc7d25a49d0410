package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/wxgroup"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// The group adapter's dependencies, wired here.
var (
	_ wxgroup.Handler    = (*bot.Engine)(nil)
	_ wxgroup.Store      = (*store.WxGroup)(nil)
	_ wxgroup.LoginStore = (*store.WxGroup)(nil)
	_ wxgroup.CodeStore  = (*store.WxGroup)(nil)
)

const wxgroupUsage = "Usage: linli wxgroup login | check | bindcode [--building B] | groups | unbind NAME"

func runWxgroup(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "login":
			return runWxgroupLogin(ctx, env, args[1:])
		case "check":
			return runWxgroupCheck(ctx, env, args[1:])
		case "bindcode":
			return runWxgroupBindcode(ctx, env, args[1:])
		case "groups":
			return runWxgroupGroups(ctx, env, args[1:])
		case "unbind":
			return runWxgroupUnbind(ctx, env, args[1:])
		}
	}
	fmt.Fprintln(env.Stderr, wxgroupUsage)
	if len(args) == 0 {
		return errReported
	}
	return fmt.Errorf("unknown wxgroup command %q", args[0])
}

// openHomeGateway opens the home's gateway.db for a wxgroup command.
func openHomeGateway(env *Env, hm home) (*store.Gateway, error) {
	if !hm.exists() {
		return nil, errNoHome
	}
	gw, err := store.OpenGateway(hm.gatewayDB())
	if err != nil {
		return nil, err
	}
	if gw.Recovered != "" {
		fmt.Fprintln(env.Stderr, "linli: "+gw.Recovered)
	}
	return gw, nil
}

func runWxgroupLogin(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wxgroup login", "[--home DIR]")
	h := homeFlag(flags)
	if err := parseNone(flags, "wxgroup login", args); err != nil {
		return err
	}
	hm := home(*h)
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return err
	}
	gw, err := openHomeGateway(env, hm)
	if err != nil {
		return err
	}
	defer gw.Close()
	fmt.Fprintln(env.Stderr, "linli: logging the committee's group account in (a personal WeChat account: Tencent's rules forbid automating it, and it may be banned; use a dedicated account).")
	show := func(qr string) {
		code, err := qrcode.New(qr, qrcode.Low)
		if err != nil {
			fmt.Fprintf(env.Stderr, "linli: cannot draw the QR code (%v); open %s\n", err, qr)
			return
		}
		fmt.Fprintf(env.Stdout, "%s\n请用群助手的微信扫码，并在手机上确认登录。扫不出来时，在浏览器打开 https://login.weixin.qq.com/qrcode/%s\n", code.ToSmallString(false), strings.TrimPrefix(qr, wxgroup.QRPrefix))
	}
	scanned := func() { fmt.Fprintln(env.Stdout, "已扫码，请在手机上点“登录”。") }
	nick, err := wxgroup.Login(ctx, gw.WxGroup(), env.WeChatTransport, show, scanned)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "logged in as %s; the session is kept in %s (mode 0600)\n", nick, hm.gatewayDB())
	if !conf.WxGroup.Enabled {
		fmt.Fprintf(env.Stderr, "linli: [wxgroup] enabled = false in %s: set it to true for `linli start` to use the account\n", hm.linliConfig())
	}
	return nil
}

func runWxgroupCheck(ctx context.Context, env *Env, args []string) error {
	hm, rep, conf, _, err := checkStart(env, "wxgroup check", "", args)
	if err != nil {
		return err
	}
	ok, bad := rep.ok, rep.bad
	wc := conf.WxGroup
	if wc.Enabled {
		ok("[wxgroup] enabled: `linli start` runs the group account")
	} else {
		bad("[wxgroup] enabled = false in %s: `linli start` will not run the group account", hm.linliConfig())
	}
	fmt.Fprintln(env.Stdout, "note  a personal WeChat account run by a program breaks Tencent's rules: it may be warned or banned (many were in January 2025), its session drops about daily, and then the admins are told on the official account. Use a dedicated, long-lived account the committee holds.")
	ok("pacing: at least %s between two sends to one group (plus up to %s at random); at most %d sends to one group and %d in all in any 24 hours; %d may wait", wc.Gap, wc.Jitter, wc.GroupDaily, wc.Daily, wc.QueueSize)
	ok("retries: after %s, doubling up to %s, %d tries; answers wait at most %s", wc.RetryBase, wc.RetryMax, wc.Tries, wc.AnswerTTL)
	if conf.Wechat.Enabled {
		ok("alerts: when WeChat ends the session, the admins who follow the official account are told there")
	} else {
		fmt.Fprintln(env.Stdout, "note  [wechat] is off: when WeChat ends the group account's session, only the log says so (the admins are told on the official account when it is on)")
	}
	if wc.OfficialAccount == "" {
		bad("[wxgroup] official_account is empty: personal questions in a group are sent to \"the community's official account\" without its name")
	} else {
		ok("personal questions are sent to the official account 「%s」", wc.OfficialAccount)
	}
	if !hm.exists() {
		bad("%v", errNoHome)
		return errReported
	}
	if fi, err := os.Stat(hm.gatewayDB()); err == nil && fi.Mode().Perm()&0o077 != 0 {
		bad("%s is readable by others (mode %04o): it holds the account's session; chmod 600 it", hm.gatewayDB(), fi.Mode().Perm())
	}
	gw, err := openHomeGateway(env, hm)
	if err != nil {
		bad("%v", err)
		return errReported
	}
	defer gw.Close()
	if _, saved, err := gw.WxGroup().Login(ctx); err != nil {
		bad("%v", err)
	} else if saved {
		ok("a saved session in %s (mode 0600); if WeChat has ended it, `linli start` says so and the admins are told", hm.gatewayDB())
	} else {
		bad("no saved session: run `linli wxgroup login` and scan the QR code with the account's phone")
	}
	bound, err := gw.WxGroup().Bindings(ctx)
	if err != nil {
		bad("%v", err)
		return errReported
	}
	groups := mergeGroups(wc.Groups, bound)
	if len(groups) == 0 {
		bad("no group belongs to the community: `linli wxgroup bindcode` (or an admin's 管理 绑群 in chat) and post the code in the group, or name groups in [wxgroup.groups]")
	}
	for _, g := range groups {
		ok("group %s", g)
	}
	if rep.failed {
		return errReported
	}
	return nil
}

// mergeGroups describes the community's groups, linli.toml's and bound
// ones, sorted by name.
func mergeGroups(named, bound map[string]string) []string {
	all := map[string]string{}
	for name, b := range named {
		all[name] = fmt.Sprintf("「%s」 %s (linli.toml)", name, buildingWord(b))
	}
	for name, b := range bound {
		all[name] = fmt.Sprintf("「%s」 %s (bound with a code)", name, buildingWord(b))
	}
	var out []string
	for _, d := range all {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

func buildingWord(b string) string {
	if b == "" {
		return "the whole community"
	}
	return "building " + b
}

func runWxgroupBindcode(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wxgroup bindcode", "[--home DIR] [--building B] [--ttl 24h]")
	h := homeFlag(flags)
	building := flags.String("building", "", "tie the group to this building (its electorate's notices only); empty: the whole community")
	ttl := flags.Duration("ttl", 0, "how long the code binds (default [wxgroup] bindcode_ttl)")
	if err := parseNone(flags, "wxgroup bindcode", args); err != nil {
		return err
	}
	hm := home(*h)
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return err
	}
	if *ttl == 0 {
		*ttl = conf.WxGroup.BindCodeTTL
	}
	if *ttl < time.Minute || *ttl > 7*24*time.Hour {
		return fmt.Errorf("--ttl %s is not between 1m and 168h", *ttl)
	}
	gw, err := openHomeGateway(env, hm)
	if err != nil {
		return err
	}
	defer gw.Close()
	// The same codes as an admin's 管理 绑群 in chat.
	code, expires, err := groupCodes(gw, *ttl).NewGroupCode(ctx, *building)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "绑定本群 %s\n", code)
	fmt.Fprintf(env.Stderr, "linli: post the line above in the group, @-mentioning the group account, before %s; it binds one group (%s) once\n", expires.In(cstZone).Format("2006-01-02 15:04"), buildingWord(*building))
	return nil
}

func runWxgroupGroups(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wxgroup groups", "[--home DIR]")
	h := homeFlag(flags)
	if err := parseNone(flags, "wxgroup groups", args); err != nil {
		return err
	}
	hm := home(*h)
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return err
	}
	gw, err := openHomeGateway(env, hm)
	if err != nil {
		return err
	}
	defer gw.Close()
	bound, err := gw.WxGroup().Bindings(ctx)
	if err != nil {
		return err
	}
	for _, g := range mergeGroups(conf.WxGroup.Groups, bound) {
		fmt.Fprintln(env.Stdout, g)
	}
	return nil
}

func runWxgroupUnbind(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wxgroup unbind", "[--home DIR] NAME")
	h := homeFlag(flags)
	args, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return errors.New("wxgroup unbind takes the group's name")
	}
	gw, err := openHomeGateway(env, home(*h))
	if err != nil {
		return err
	}
	defer gw.Close()
	ok, err := gw.WxGroup().Unbind(ctx, args[0])
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no group named %q is bound (a group named in [wxgroup.groups] is removed there)", args[0])
	}
	fmt.Fprintf(env.Stdout, "unbound 「%s」\n", args[0])
	return nil
}

// groupCodes makes the codes that bind a group, in gateway.db, valid for
// ttl: `linli wxgroup bindcode` and the chat's 管理 绑群 share it.
func groupCodes(gw *store.Gateway, ttl time.Duration) *wxgroup.Codes {
	return &wxgroup.Codes{Store: gw.WxGroup(), TTL: ttl}
}

// chatGroupCodes is the chat engine's GroupCodes: nil (管理 绑群 says the
// group account is off) unless linli.toml turns it on.
func chatGroupCodes(conf config.Config, gw *store.Gateway) bot.GroupCodes {
	if !conf.WxGroup.Enabled {
		return nil
	}
	return groupCodes(gw, conf.WxGroup.BindCodeTTL)
}

// startWxGroup runs the group account beside node n when linli.toml
// enables it: the chat engine answers its groups, and it is returned as a
// group channel for the notifier, alerting the admins through alerter. A
// saved session WeChat has ended does not stop linli: the account stays
// off (the admins are told) and nil is returned for it.
func startWxGroup(ctx context.Context, env *Env, hm home, n *node.Node, conf config.Config, gw *store.Gateway, tset *templates.Set, alerter bot.AdminAlerter, logger *slog.Logger) (bot.GroupAnnouncer, func() error, error) {
	noop := func() error { return nil }
	wc := conf.WxGroup
	if !wc.Enabled {
		return nil, noop, nil
	}
	secret, err := keys.LoadMasterSecret(hm.masterSecret())
	if err != nil {
		return nil, nil, err
	}
	client := ledger.New(n.Local())
	var chain abci.ChainInfo
	res, err := client.Query(ctx, "chain")
	if err == nil {
		err = json.Unmarshal(res.Value, &chain)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("wxgroup: read the chain: %w", err)
	}
	// Group turns are public and never write: the engine reads the chain
	// through the same custodian as the official account's.
	e := bot.New(ledger.NewCustodian(client, secret, chain.ChainID), gw.Sessions(), tset)
	e.Logger, e.SessionTTL = logger, conf.Chat.SessionTTL

	a := wxgroup.New(e, gw.WxGroup(), tset)
	a.Alerter, a.Logger, a.Transport = alerter, logger, env.WeChatTransport
	a.Limits = wxgroup.Limits{
		Gap: wc.Gap, Jitter: wc.Jitter, GroupDaily: wc.GroupDaily, Daily: wc.Daily,
		QueueSize: wc.QueueSize, AnswerTTL: wc.AnswerTTL,
		RetryBase: wc.RetryBase, RetryMax: wc.RetryMax, Tries: wc.Tries,
	}
	a.Groups, a.Community, a.OfficialAccount = wc.Groups, chain.Community, wc.OfficialAccount
	switch err := a.Open(ctx); {
	case errors.Is(err, wxgroup.ErrStopped):
		fmt.Fprintf(env.Stderr, "linli: WARNING: the WeChat group account is off: %v. The admins were told; run `linli wxgroup login`, then restart.\n", err)
		return nil, noop, nil
	case err != nil:
		return nil, nil, err
	}
	fmt.Fprintln(env.Stderr, "linli: WeChat group account logged in (a personal account: see README, \"WeChat groups\", for its risks)")
	return a, a.Close, nil
}
