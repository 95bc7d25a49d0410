package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/console"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// The chat engine's dependencies, wired here.
var (
	_ bot.Ledger   = (*ledger.Custodian)(nil)
	_ bot.Sessions = (*store.Sessions)(nil)
)

func runChat(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "chat", "--as NAME   (reads messages line by line: printf '菜单\\n1\\n' | linli chat --as wang)")
	cf := addClientFlags(fs)
	as := fs.String("as", "", "chat as this console user (NAME, or CHANNEL:USER); `linli tx --as console:NAME` signs as the same user")
	co := addChatFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 || *as == "" {
		fs.Usage()
		return fmt.Errorf("chat wants --as NAME and no arguments")
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.lc.Close()
	if !c.home.exists() {
		return errNoHome
	}
	secret, err := keys.LoadMasterSecret(c.home.masterSecret())
	if err != nil {
		return err
	}
	var chain abci.ChainInfo
	if err := c.query(ctx, "chain", &chain); err != nil {
		return err
	}
	co.budget, co.conf = c.conf.Client.CommitTimeout, c.conf
	co.fromConfig(fs, c.home, c.conf.Chat)
	cust := ledger.NewCustodian(c.lc, secret, chain.ChainID)
	return chat(ctx, env, cust, c.home.gatewayDB(), *as, co)
}

// chatOptions are the settings of a console chat.
type chatOptions struct {
	templates  string
	sessionTTL time.Duration
	budget     time.Duration
	// conf is the home's linli.toml: with [wxgroup] on, admins make
	// group binding codes in chat (管理 绑群).
	conf config.Config
}

func addChatFlags(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}) *chatOptions {
	o := &chatOptions{}
	fs.StringVar(&o.templates, "templates", "", "directory of *.tmpl files whose definitions replace the built-in wording (default: linli.toml's chat.templates)")
	fs.DurationVar(&o.sessionTTL, "session-ttl", bot.DefaultSessionTTL, "how long a numbered menu stays valid while the user is idle (default: linli.toml's chat.session_ttl)")
	return o
}

// fromConfig takes the home's [chat] settings for the flags not given.
func (o *chatOptions) fromConfig(fs *flag.FlagSet, hm home, c config.Chat) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["templates"] && c.Templates != "" {
		o.templates = hm.inHome(c.Templates)
	}
	if !given["session-ttl"] {
		o.sessionTTL = c.SessionTTL
	}
}

// chat runs the engine for one console user over stdin and stdout until
// stdin ends or ctx is done. Sessions persist in gatewayFile.
func chat(ctx context.Context, env *Env, l bot.Ledger, gatewayFile, as string, o *chatOptions) error {
	tset, err := templates.Load(o.templates)
	if err != nil {
		return err
	}
	gw, err := store.OpenGateway(gatewayFile)
	if err != nil {
		return err
	}
	defer gw.Close()
	channel, user := console.Channel, as
	if c, u, ok := strings.Cut(as, ":"); ok && c != "" && u != "" {
		channel, user = c, u
	}
	e := bot.New(l, gw.Sessions(), tset)
	e.Texts = gw.PrivateTexts()
	e.GroupCodes = chatGroupCodes(o.conf, gw)
	e.SessionTTL = o.sessionTTL
	if o.budget > 0 {
		e.Budgets[channel] = o.budget
	}
	opts := console.Options{Channel: channel, User: user}
	if isTerminal(env.Stdin) {
		opts.Prompt = "> "
	} else {
		// A script is typed by a program, not a flooding person: every
		// line is answered, however fast they come.
		opts.Echo = true
		e.RateBurst = 0
	}
	return console.Run(ctx, e, env.Stdin, env.Stdout, opts)
}

// isTerminal reports whether r is a character device (someone typing),
// as opposed to a pipe or file.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// gatewayDB is the chat gateway's local data: sessions (never replicated,
// apart from app.db).
func (h home) gatewayDB() string { return h.path("data", "gateway.db") }
