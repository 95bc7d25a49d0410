package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/bot/wechatmp"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// The WeChat gateway's dependencies, wired here.
var (
	_ wechatmp.Handler = (*bot.Engine)(nil)
	_ wechatmp.Store   = (*store.Wechat)(nil)
	_ wechatmp.Sender  = (*wechatmp.API)(nil)
	_ wechatmp.Poster  = (*wechatmp.Outbox)(nil)
	_ notify.Poster    = (*wechatmp.Notices)(nil)
	_ notify.Users     = (*store.Wechat)(nil)
	_ notify.Store     = (*store.Wechat)(nil)
	_ notify.Querier   = (*ledger.Client)(nil)
)

func runWechat(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "menu":
			return runWechatMenu(ctx, env, args[1:])
		case "check":
			return runWechatCheck(ctx, env, args[1:])
		case "undelivered":
			return runWechatUndelivered(ctx, env, args[1:])
		}
	}
	fmt.Fprintln(env.Stderr, "Usage: linli wechat menu [--dry-run] | linli wechat check [--offline] | linli wechat undelivered [--since 24h] [--limit 50]")
	if len(args) == 0 {
		return errReported
	}
	return fmt.Errorf("unknown wechat command %q", args[0])
}

// wechatSecrets is the content of the [wechat] secret_file.
type wechatSecrets struct {
	AppSecret      string `toml:"app_secret"`
	Token          string `toml:"token"`
	EncodingAESKey string `toml:"encoding_aes_key"`
}

// inHome resolves a path from linli.toml: relative ones are in the home.
func (h home) inHome(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return h.path(p)
}

// loadWechatSecrets reads the secret file, refusing one that anyone but
// its owner may read. problems lists what is wrong with its content.
func loadWechatSecrets(path string) (s wechatSecrets, problems []string, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil, fmt.Errorf("%s is missing: create it with app_secret, token (and encoding_aes_key for safe mode), mode 0600", path)
	}
	if err != nil {
		return s, nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return s, nil, fmt.Errorf("%s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return s, nil, err
	}
	md, err := toml.Decode(string(data), &s)
	if err != nil {
		// The decoder's message may quote the file: say only where.
		return wechatSecrets{}, nil, fmt.Errorf("%s is not valid TOML (keys: app_secret, token, encoding_aes_key)", path)
	}
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Sprintf("%s: unknown key %s", path, k))
	}
	if s.AppSecret == "" {
		problems = append(problems, path+": app_secret is missing (开发者密码)")
	}
	if n := len(s.Token); n < 3 || n > 32 || strings.Trim(s.Token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		problems = append(problems, path+": token must be 3 to 32 letters or digits, as set in 服务器配置")
	}
	if s.EncodingAESKey != "" {
		if len(s.EncodingAESKey) != 43 || strings.Trim(s.EncodingAESKey, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			problems = append(problems, path+": encoding_aes_key must be the 43 letters and digits of 服务器配置")
		}
	}
	return s, problems, nil
}

// startWechat serves the WeChat webhook beside node n when linli.toml
// enables it, with the outbox behind it, keeping its data in gw. notices
// is where the notifier delivers private notices, nil when [wechat]
// turns notifications off. stop shuts the server down and closes
// everything but gw, returning the first error.
func startWechat(ctx context.Context, env *Env, hm home, n *node.Node, conf config.Config, gw *store.Gateway) (stop func() error, notices *wechatmp.Notices, err error) {
	wc := conf.Wechat
	if !wc.Enabled {
		return func() error { return nil }, nil, nil
	}
	sec, problems, err := loadWechatSecrets(hm.inHome(wc.SecretFile))
	if err != nil {
		return nil, nil, fmt.Errorf("wechat: %w", err)
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("wechat: %s", strings.Join(problems, "; "))
	}
	if sec.EncodingAESKey == "" && !wc.AllowPlaintext {
		return nil, nil, fmt.Errorf("wechat: %s has no encoding_aes_key: plaintext mode, where WeChat signs only the URL and a captured request could act as another resident, is refused; set encoding_aes_key (safe mode, 安全模式) or, to accept the risk, allow_plaintext = true in [wechat]", hm.inHome(wc.SecretFile))
	}
	secret, err := keys.LoadMasterSecret(hm.masterSecret())
	if err != nil {
		return nil, nil, err
	}
	level := slog.LevelError
	if conf.LogLevel != config.LogError {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))

	client := ledger.New(n.Local())
	var chain abci.ChainInfo
	res, err := client.Query(ctx, "chain")
	if err == nil {
		err = json.Unmarshal(res.Value, &chain)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("wechat: read the chain: %w", err)
	}
	cust := ledger.NewCustodian(client, secret, chain.ChainID)
	tdir := ""
	if conf.Chat.Templates != "" {
		tdir = hm.inHome(conf.Chat.Templates)
	}
	tset, err := templates.Load(tdir)
	if err != nil {
		return nil, nil, err
	}
	var closers []func() error
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}

	e := bot.New(cust, gw.Sessions(), tset)
	e.Texts = gw.PrivateTexts()
	e.GroupCodes = chatGroupCodes(conf, gw)
	e.Logger = logger
	if conf.Board.Enabled && conf.Board.PublicURL != "" {
		e.BoardURL = conf.Board.URL(conf.Board.Listen) // receipts link to /tx/HASH
	}
	e.SessionTTL = conf.Chat.SessionTTL
	// The engine waits for a commit for part of the budget, leaving the
	// rest to render and write the reply.
	e.Budgets[wechatmp.Channel] = wc.Budget * 3 / 4

	api, err := wechatmp.NewAPI(wechatmp.APIConfig{AppID: wc.AppID, AppSecret: sec.AppSecret, BaseURL: wc.APIURL, Timeout: wc.APITimeout})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	out := wechatmp.NewOutbox(api, gw.Wechat())
	out.Rate, out.QueueSize, out.Timeout, out.Logger = wc.SendRate, wc.QueueSize, wc.APITimeout, logger
	if err := out.Open(); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, out.Close)

	wh := wechatmp.NewWebhook(e, gw.Wechat(), tset)
	wh.AppID, wh.Token, wh.AESKey, wh.AllowPlaintext = wc.AppID, sec.Token, sec.EncodingAESKey, wc.AllowPlaintext
	wh.Quota = wechatQuota(wc)
	if wh.AESKey == "" {
		// Said at every start, whatever the log level.
		fmt.Fprintln(env.Stderr, "linli: WARNING: the WeChat webhook runs in PLAINTEXT mode (allow_plaintext = true): WeChat signs only the URL, so a captured request could act as another resident. Set encoding_aes_key and choose 安全模式.")
	}
	wh.Budget, wh.Window, wh.MaxBody = wc.Budget, wc.TimestampWindow, int64(wc.MaxBody)
	wh.Community, wh.Push, wh.Logger = chain.Community, out, logger
	wh.Address = func(openid string) (string, error) {
		a, err := cust.Address(ledger.User{Channel: wechatmp.Channel, ID: openid})
		return string(a), err
	}
	if err := wh.Open(); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, wh.Close)

	if wc.Notify {
		notices = wechatmp.NewNotices(out)
		notices.Templates, notices.Subscriptions = templateSpecs(wc.Templates), templateSpecs(wc.Subscriptions)
	}

	mux := http.NewServeMux()
	mux.Handle(wc.Path, wh)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
	ln, err := net.Listen("tcp", wc.Listen)
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("wechat: listen: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(env.Stderr, "linli: WeChat webhook at http://%s%s (behind your HTTPS reverse proxy)\n", ln.Addr(), wc.Path)
	return func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return errors.Join(err, closeAll())
	}, notices, nil
}

// wechatQuota is WeChat's push rule as linli.toml sets it.
func wechatQuota(wc config.Wechat) wechatmp.Quota {
	return wechatmp.Quota{MessageQuota: wc.MessageQuota, MessageWindow: wc.MessageWindow, EventQuota: wc.EventQuota, EventWindow: wc.EventWindow}
}

func templateSpecs(ts map[string]config.WechatTemplate) map[string]wechatmp.TemplateSpec {
	out := map[string]wechatmp.TemplateSpec{}
	for kind, t := range ts {
		out[kind] = wechatmp.TemplateSpec{ID: t.ID, Fields: t.Fields}
	}
	return out
}

func runWechatMenu(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wechat menu", "[--home DIR] [--dry-run]")
	h := homeFlag(flags)
	dry := flags.Bool("dry-run", false, "print the menu as WeChat will receive it, and create nothing")
	if err := parseNone(flags, "wechat menu", args); err != nil {
		return err
	}
	hm := home(*h)
	conf, err := config.Load(hm.linliConfig())
	if err != nil {
		return err
	}
	path := hm.inHome(conf.Wechat.MenuFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		// The menu's link to the notice board goes to its public address.
		data = []byte(strings.Replace(wechatmp.DefaultMenuTOML, wechatmp.DefaultBoardURL, conf.Board.URL(conf.Board.Listen), 1))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "linli: wrote the default menu to %s (edit it and run again to change it)\n", path)
	} else if err != nil {
		return err
	}
	m, err := wechatmp.ParseMenu(path, data)
	if err != nil {
		return err
	}
	if *dry {
		b, _ := json.MarshalIndent(m, "", "  ")
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return nil
	}
	api, err := wechatAPI(hm, conf)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*conf.Wechat.APITimeout)
	defer cancel()
	if err := api.SetMenu(cctx, m); err != nil {
		return err
	}
	var names []string
	for _, b := range m.Buttons {
		names = append(names, b.Name)
	}
	fmt.Fprintf(env.Stdout, "menu created: %s\n", strings.Join(names, " / "))
	return nil
}

// wechatAPI loads the secrets and returns the API of the account.
func wechatAPI(hm home, conf config.Config) (*wechatmp.API, error) {
	if conf.Wechat.AppID == "" {
		return nil, fmt.Errorf("%s: [wechat] app_id is empty", hm.linliConfig())
	}
	sec, problems, err := loadWechatSecrets(hm.inHome(conf.Wechat.SecretFile))
	if err != nil {
		return nil, err
	}
	if sec.AppSecret == "" {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return wechatmp.NewAPI(wechatmp.APIConfig{AppID: conf.Wechat.AppID, AppSecret: sec.AppSecret, BaseURL: conf.Wechat.APIURL, Timeout: conf.Wechat.APITimeout})
}

// checkReport prints the lines of a `check` command, "ok" or "FAIL" and
// what was checked, and remembers whether any failed.
type checkReport struct {
	w      io.Writer
	failed bool
}

func (r *checkReport) ok(format string, a ...any) { fmt.Fprintf(r.w, "ok    "+format+"\n", a...) }

func (r *checkReport) bad(format string, a ...any) {
	r.failed = true
	fmt.Fprintf(r.w, "FAIL  "+format+"\n", a...)
}

// checkStart is what the `check` commands (wechat, wecom, wxgroup) begin
// with: their flags (--home, and --offline when skipped names what it
// skips), no arguments, the report, and linli.toml, whose failure to load
// is reported and ends the check (errReported).
func checkStart(env *Env, name, skipped string, args []string) (hm home, rep *checkReport, conf config.Config, offline bool, err error) {
	usage := "[--home DIR]"
	if skipped != "" {
		usage += " [--offline]"
	}
	flags := newFlags(env, name, usage)
	h := homeFlag(flags)
	var off *bool
	if skipped != "" {
		off = flags.Bool("offline", false, "check the files only; do not call "+skipped)
	}
	if err = parseNone(flags, name, args); err != nil {
		return
	}
	hm, rep = home(*h), &checkReport{w: env.Stdout}
	if conf, err = config.Load(hm.linliConfig()); err != nil {
		rep.bad("%v", err)
		err = errReported
		return
	}
	return hm, rep, conf, off != nil && *off, nil
}

func runWechatCheck(ctx context.Context, env *Env, args []string) error {
	hm, rep, conf, offline, err := checkStart(env, "wechat check", "WeChat", args)
	if err != nil {
		return err
	}
	ok, bad := rep.ok, rep.bad
	wc := conf.Wechat
	if wc.Enabled {
		ok("[wechat] enabled: `linli start` serves http://%s%s", wc.Listen, wc.Path)
	} else {
		bad("[wechat] enabled = false in %s: `linli start` will not serve the webhook", hm.linliConfig())
	}
	if host, _, _ := net.SplitHostPort(wc.Listen); loopback(host) {
		ok("reverse proxy: WeChat needs HTTPS; point your HTTPS proxy's https://YOUR-DOMAIN%s at http://%s%s, and that URL in 服务器配置", wc.Path, wc.Listen, wc.Path)
	} else {
		ok("reverse proxy: listen %s is reachable from other hosts; WeChat needs HTTPS in front (https://YOUR-DOMAIN%s -> http://%s%s); 127.0.0.1 is safer when the proxy is on this host", wc.Listen, wc.Path, wc.Listen, wc.Path)
	}
	ok("push quota: %s", wechatQuota(wc))
	if wc.AppID == "" {
		bad("[wechat] app_id is empty")
	} else {
		ok("app_id %s", wc.AppID)
	}
	secPath := hm.inHome(wc.SecretFile)
	sec, problems, err := loadWechatSecrets(secPath)
	switch {
	case err != nil:
		bad("%v", err)
	case len(problems) > 0:
		for _, p := range problems {
			bad("%s", p)
		}
	default:
		ok("%s: mode 0600, app_secret and token set", secPath)
		switch {
		case sec.EncodingAESKey != "":
			ok("mode: safe or compatible mode (encoding_aes_key set): every message is signed and encrypted")
		case wc.AllowPlaintext:
			bad("mode: PLAINTEXT (allow_plaintext = true): WeChat signs only the URL, so a captured request could act as another resident; set encoding_aes_key and choose 安全模式")
		default:
			bad("mode: plaintext (no encoding_aes_key): `linli start` refuses it; set encoding_aes_key and choose 安全模式 (or allow_plaintext = true to accept the risk)")
		}
	}
	menuPath := hm.inHome(wc.MenuFile)
	if data, err := os.ReadFile(menuPath); errors.Is(err, fs.ErrNotExist) {
		ok("%s does not exist: `linli wechat menu` writes the default one", menuPath)
	} else if err != nil {
		bad("%v", err)
	} else if _, err := wechatmp.ParseMenu(menuPath, data); err != nil {
		bad("%v", err)
	} else {
		ok("%s is a valid menu", menuPath)
	}
	if !offline && wc.AppID != "" && sec.AppSecret != "" {
		api, err := wechatmp.NewAPI(wechatmp.APIConfig{AppID: wc.AppID, AppSecret: sec.AppSecret, BaseURL: wc.APIURL, Timeout: wc.APITimeout})
		if err != nil {
			bad("%v", err)
		} else {
			cctx, cancel := context.WithTimeout(ctx, 2*wc.APITimeout)
			defer cancel()
			if err := api.CheckToken(cctx); err != nil {
				bad("access token: %v (check app_id, app_secret and the IP allowlist, IP白名单)", err)
			} else {
				ok("access token: WeChat accepts the AppID and AppSecret")
				checkTemplates(cctx, api, wc, ok, bad)
			}
		}
	}
	if rep.failed {
		return errReported
	}
	return nil
}

// loopback reports whether host names this machine only, so that just a
// proxy on it reaches the webhook.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkTemplates(ctx context.Context, api *wechatmp.API, wc config.Wechat, ok, bad func(string, ...any)) {
	if len(wc.Templates) == 0 && len(wc.Subscriptions) == 0 {
		ok("no template or subscription messages configured: a notice WeChat allows no customer-service message for is recorded as undelivered")
		return
	}
	if len(wc.Templates) == 0 {
		return
	}
	ids, err := api.TemplateIDs(ctx)
	if err != nil {
		bad("template list: %v", err)
		return
	}
	for _, kind := range config.WechatTemplateKinds {
		t, set := wc.Templates[kind]
		if !set {
			continue
		}
		if slices.Contains(ids, t.ID) {
			ok("template for %s: %s exists", kind, t.ID)
		} else {
			bad("template for %s: the account has no template %s", kind, t.ID)
		}
	}
}

func runWechatUndelivered(ctx context.Context, env *Env, args []string) error {
	flags := newFlags(env, "wechat undelivered", "[--home DIR] [--since 24h] [--limit 50]")
	h := homeFlag(flags)
	since := flags.Duration("since", 24*time.Hour, "list notices recorded within this long")
	limit := flags.Int("limit", 50, "list at most this many, newest first")
	if err := parseNone(flags, "wechat undelivered", args); err != nil {
		return err
	}
	if *since <= 0 || *limit < 1 {
		return errors.New("--since and --limit must be positive")
	}
	hm := home(*h)
	gw, err := store.OpenGateway(hm.gatewayDB())
	if err != nil {
		return err
	}
	defer gw.Close()
	if gw.Recovered != "" {
		fmt.Fprintln(env.Stderr, "linli: "+gw.Recovered)
	}
	list, total, err := gw.Wechat().ListUndelivered(ctx, time.Now().Add(-*since), *limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d notices not delivered in the last %s", total, *since)
	if total > len(list) {
		fmt.Fprintf(env.Stdout, " (the newest %d shown)", len(list))
	}
	fmt.Fprintln(env.Stdout)
	cst := time.FixedZone("CST", 8*3600)
	for _, u := range list {
		text := strings.ReplaceAll(u.Text, "\n", " ")
		if r := []rune(text); len(r) > 40 {
			text = string(r[:39]) + "…"
		}
		fmt.Fprintf(env.Stdout, "%s  user %s  %-8s  %s\n    why: %s\n", u.At.In(cst).Format("2006-01-02 15:04"), wechatmp.HashID(u.OpenID), u.Kind, text, u.Reason)
	}
	return nil
}
