package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/bot"
)

func handle(b *testing.B, e *bot.Engine, user, text, want string) {
	b.Helper()
	r, err := e.Handle(context.Background(), &bot.Request{Channel: "console", User: user, Text: text})
	if err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(r.Text(), want) {
		b.Fatalf("%q: reply lacks %q:\n%s", text, want, r.Text())
	}
}

// BenchmarkReadCommand measures a read end to end through the engine:
// parse, session from gateway.db, queries of the in-process node, render,
// session back to gateway.db.
func BenchmarkReadCommand(b *testing.B) {
	w := startWorld(b)
	w.e.RateBurst = 1 << 30
	b.Run("VotesList", func(b *testing.B) {
		for b.Loop() {
			handle(b, w.e, "wang", "投票", "1 【表决】")
		}
	})
	b.Run("DecisionWithTurnout", func(b *testing.B) {
		handle(b, w.e, "wang", "投票", "1 【表决】")
		for b.Loop() {
			handle(b, w.e, "wang", "1", "已投票 1 位业主")
			handle(b, w.e, "wang", "0", "1 【表决】")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/msg")
	})
}

// BenchmarkVoteReceipt measures the confirming "1" of a vote until its
// receipt is in the reply: sign, broadcast, CheckTx, the next block
// (timeout_commit 100 ms), the commit seen by the in-process client.
func BenchmarkVoteReceipt(b *testing.B) {
	w := startWorld(b)
	w.e.RateBurst = 1 << 30
	handle(b, w.e, "wang", "投票", "1 【表决】")
	handle(b, w.e, "wang", "1", "请回复数字投票")
	var worst time.Duration
	for b.Loop() {
		b.StopTimer()
		handle(b, w.e, "wang", "同意", "确认请回复 1")
		b.StartTimer()
		start := time.Now()
		handle(b, w.e, "wang", "1", "✅ 已记录")
		worst = max(worst, time.Since(start))
		b.StopTimer()
		handle(b, w.e, "wang", "0", "请回复数字投票")
		b.StartTimer()
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}

// BenchmarkParse measures Parse over the replies residents type: digits,
// keycaps, phrases around an answer, commands, near-misses and free text.
func BenchmarkParse(b *testing.B) {
	replies := []string{"1", "１", "①", "1️⃣", "第一个", "我选1", "选第一个", "我同意", "投反对票", "嗯", "-1", "不反对",
		"同意不同意", "菜单", "回去", "绑定 3-502 12345678", "3栋电梯按钮失灵，晚上最明显", "电梯该换了，支持！"}
	for b.Loop() {
		for _, r := range replies {
			bot.Parse(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(replies)), "ns/reply")
}
