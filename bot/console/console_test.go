package console_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/console"
)

type echo struct{ reqs []*bot.Request }

func (e *echo) Handle(_ context.Context, r *bot.Request) (*bot.Reply, error) {
	e.reqs = append(e.reqs, r)
	switch r.Text {
	case "silence":
		return nil, nil
	case "slow":
		return &bot.Reply{Parts: []string{"记录中"}, Later: func(context.Context) (*bot.Reply, error) {
			return &bot.Reply{Parts: []string{"回执"}}, nil
		}}, nil
	}
	return &bot.Reply{Parts: []string{"收到 " + r.Text, "第二段"}}, nil
}

func TestRunEchoesRepliesAndFollowUps(t *testing.T) {
	h := &echo{}
	var out strings.Builder
	err := console.Run(context.Background(), h, strings.NewReader("菜单\nsilence\nslow\n1"), &out, console.Options{User: "wang", Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "> 菜单\n收到 菜单\n\n第二段\n\n> silence\n> slow\n记录中\n\n回执\n\n> 1\n收到 1\n\n第二段\n\n"
	if out.String() != want {
		t.Errorf("output:\n%q\nwant\n%q", out.String(), want)
	}
	if len(h.reqs) != 4 || h.reqs[0].Channel != console.Channel || h.reqs[0].User != "wang" || h.reqs[3].MsgID != "4" {
		t.Errorf("requests = %+v", h.reqs)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, w := io.Pipe() // never written: Run must not wait for it
	defer w.Close()
	if err := console.Run(ctx, &echo{}, r, &strings.Builder{}, console.Options{User: "wang"}); err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}
