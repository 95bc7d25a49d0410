package wechatmp

import (
	"fmt"
	"time"
)

// WeChat's rules for customer-service messages (客服消息), as published
// for official accounts since 12 June 2023 (公众平台公告 "客服消息下发规则
// 调整"): a user's action opens an allowance of messages the account may
// push to them, and pushes beyond it are refused with errcode 45015
// (outside the window) or 45047 (too many messages):
//
//	the user sends a message          5 messages within 48 hours
//	the user clicks a menu button,    3 messages within 1 minute
//	follows the account, scans a code
//
// A click earns no share of a message's 48-hour allowance. A newer
// action replaces the allowance, except that a click never takes away
// what a message left (the allowances do not add up). The gateway keeps
// margins: it spends a message's allowance for 47 hours and a click's for
// 50 seconds, so that a push queued at the edge still arrives inside.
// The passive reply to a request is not a customer-service message and
// costs nothing. Grant and Take are pure, so that the rule can move to a
// channel-neutral notifier with the pushes it decides.
// Quota is WeChat's rule as the gateway applies it; DefaultQuota is the
// published one with the margins above. An operator can follow a change
// of WeChat's rules in linli.toml.
type Quota struct {
	// MessageQuota messages may be pushed within MessageWindow after a
	// message the user sent.
	MessageQuota  int
	MessageWindow time.Duration
	// EventQuota messages may be pushed within EventWindow after a click,
	// a follow or a scan.
	EventQuota  int
	EventWindow time.Duration
}

// DefaultQuota is WeChat's rule of June 2023, with margins.
var DefaultQuota = Quota{MessageQuota: 5, MessageWindow: 47 * time.Hour, EventQuota: 3, EventWindow: 50 * time.Second}

// Inbound kinds, for Grant.
const (
	// InboundMessage is a message the user sent (text, voice, picture…).
	InboundMessage = "message"
	// InboundEvent is a menu click, a follow or a scan.
	InboundEvent = "event"
)

// Grant returns the allowance after the user's action of kind at at,
// given what was left until when.
func (q Quota) Grant(kind string, at time.Time, left int, until time.Time) (int, time.Time) {
	switch kind {
	case InboundMessage:
		return q.MessageQuota, at.Add(q.MessageWindow)
	case InboundEvent:
		if left >= q.EventQuota && until.After(at.Add(q.EventWindow)) {
			return left, until
		}
		return q.EventQuota, at.Add(q.EventWindow)
	}
	return left, until
}

// Take spends one message of the allowance at now: ok reports that one
// was left.
func Take(now time.Time, left int, until time.Time) (newLeft int, newUntil time.Time, ok bool) {
	if left <= 0 || !now.Before(until) {
		return 0, until, false
	}
	return left - 1, until, true
}

// String says the rule in a line, for `linli wechat check`.
func (q Quota) String() string {
	return fmt.Sprintf("%d customer-service messages within %s of a message the user sent, %d within %s of a click or follow; beyond that template, then subscription message, else recorded as undelivered",
		q.MessageQuota, q.MessageWindow, q.EventQuota, q.EventWindow)
}

// quotaRefusal reports an errcode by which WeChat says the allowance is
// spent, whatever the gateway counted.
func quotaRefusal(code int) bool { return code == 45015 || code == 45047 }
