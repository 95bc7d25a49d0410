// Command linli runs a community's ledger node and the tools around it:
// init writes a home, start runs CometBFT in-process over the linli app,
// and query, tx, roster, bindcode and keys talk to a running node.
//
// Only this package wires concrete things together and reads config.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "linli:", err)
		}
		os.Exit(1)
	}
}

// Env is the process environment a command runs in, so tests can run
// commands in-process and read what they print.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// WeChatTransport, when not nil, carries the group account's requests
	// to WeChat (tests: to a fake); nil is the network.
	WeChatTransport http.RoundTripper
}

// errReported means the command already told the user what went wrong
// (a rejected tx's receipt, say) and only the exit status remains.
var errReported = errors.New("reported")

// command is one subcommand: its name, a one-line summary, and its run
// function, which parses its own flags.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "write a new home: CometBFT node, genesis, admin key, linli.toml", runInit},
		{"start", "run the node (initialising an empty home first)", runStart},
		{"query", "print the JSON answer of a query, e.g. units/3-502", runQuery},
		{"tx", "sign and submit a tx: linli tx TYPE BODY_JSON", runTx},
		{"roster", "the unit roster: roster import FILE.xlsx|FILE.csv | roster export [FILE] | roster template [FILE]", runRoster},
		{"bindcode", "issue one-time binding codes: bindcode UNIT... | bindcode --all [--building B] [--print slips.html] [--json]", runBindCode},
		{"print", "print a decision's paper ballots or door-to-door list: print sheets --proposal N [--out FILE] | print not-voted --proposal N [--out FILE]", runPrint},
		{"ballots", "enter paper ballots from a CSV file (code,choice,scan_sha256), as a scrutineer: ballots import FILE.csv [--as CHANNEL:USER]", runBallots},
		{"accounts", "print the accounts' balances, or export a statement: accounts export --from YYYY-MM [--to YYYY-MM] [FILE]", runAccounts},
		{"verify", "check a receipt against the validators' signatures: verify TXHASH [--node URL] [--witness URL]... [--trust HEIGHT:HASH]", runVerify},
		{"anchor", "print a block header as a trust anchor for verify: anchor [--height N] [--node URL]", runAnchor},
		{"keys", "show the admin address, or derive a chat user's: keys derive --channel C --user U", runKeys},
		{"testnet", "write the homes of a local network: testnet --validators 4 [--full 1] --out DIR", runTestnet},
		{"bench", "measure committed tx/s and latency, optionally beside CometBFT's kvstore: bench [--app kvstore]", runBench},
		{"chat", "talk to the chat engine as a console user: chat --as NAME (reads stdin line by line)", runChat},
		{"demo", "try it: a throwaway community with a node, chatting as an elderly resident", runDemo},
		{"wechat", "the WeChat official account: wechat menu (create the custom menu) | wechat check", runWechat},
		{"wecom", "WeCom customer groups: wecom check (settings, secret, groups and their owners)", runWecom},
		{"wxgroup", "WeChat groups through a personal account (opt-in): wxgroup login | check | bindcode [--building B] | groups | unbind NAME", runWxgroup},
	}
}

// Run runs the subcommand named by args[0].
func Run(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return errReported
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	usage(env.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "linli (邻里): a community's self-governance ledger.\n\nUsage: linli COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun linli COMMAND -h for a command's flags.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: linli %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags wherever they appear among the arguments (Go's flag
// package stops at the first positional one, so `linli query units --home
// X` would otherwise ignore --home) and returns the positional arguments.
// Everything after "--" is positional.
// parseNone is parse for a command that takes no arguments, only flags.
func parseNone(fs *flag.FlagSet, name string, args []string) error {
	args, err := parse(fs, args)
	if err == nil && len(args) > 0 {
		err = fmt.Errorf("%s takes no arguments, got %q", name, args)
	}
	return err
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}
