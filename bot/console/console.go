// Package console adapts a terminal or a pipe to the chat engine: each
// line read is one message from one console user, each reply is printed
// followed by a blank line. It only translates; what to answer is the
// engine's business.
//
// Package console imports bot and nothing else of linli's.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/linli-community/linli/bot"
)

// Handler is what the console talks to: *bot.Engine.
type Handler interface {
	Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error)
}

// Channel is the channel name of console users; `linli tx --as console:NAME`
// signs with the same custodial key as `linli chat --as NAME`.
const Channel = "console"

// Options say who is typing and how lines are shown.
type Options struct {
	// Channel defaults to "console".
	Channel string
	// User is the console user's name.
	User string
	// Echo prints each line read as "> line" before its reply, so that a
	// scripted conversation reads like a transcript.
	Echo bool
	// Prompt is printed before each line is read (for a terminal).
	Prompt string
	// Now is the clock for message times (time.Now by default).
	Now func() time.Time
	// LaterTimeout bounds the wait for a receipt that follows a reply.
	LaterTimeout time.Duration
}

// maxLine is the longest line read; the engine itself answers anything
// over bot.MaxInputBytes with a polite refusal.
const maxLine = 1 << 20

// Run reads messages from in until it ends (EOF) or ctx is done, and
// writes the replies to out. A receipt that follows a reply (Reply.Later)
// is waited for and printed before the next line is read.
func Run(ctx context.Context, h Handler, in io.Reader, out io.Writer, o Options) error {
	if o.Channel == "" {
		o.Channel = Channel
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LaterTimeout <= 0 {
		o.LaterTimeout = time.Minute
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	w := bufio.NewWriter(out)
	defer w.Flush()
	for n := 1; ; n++ {
		if o.Prompt != "" {
			fmt.Fprint(w, o.Prompt)
		}
		w.Flush()
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			return <-readErr
		}
		if o.Echo {
			fmt.Fprintf(w, "> %s\n", line)
		}
		rep, err := h.Handle(ctx, &bot.Request{Channel: o.Channel, User: o.User, Text: line, MsgID: strconv.Itoa(n), Time: o.Now()})
		if err != nil {
			return err
		}
		print(w, rep)
		if rep != nil && rep.Later != nil {
			w.Flush()
			lctx, cancel := context.WithTimeout(ctx, o.LaterTimeout)
			later, err := rep.Later(lctx)
			cancel()
			if err == nil {
				print(w, later)
			}
		}
	}
}

func print(w io.Writer, r *bot.Reply) {
	if r == nil || len(r.Parts) == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n\n", r.Text())
}
