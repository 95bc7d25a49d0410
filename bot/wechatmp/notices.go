package wechatmp

import "unicode/utf8"

// TemplateSpec is a template message for one notification kind: its id,
// and for each of its keys the value shown (title, status, time, detail or
// community).
type TemplateSpec struct {
	ID     string
	Fields map[string]string
}

// templateValueRunes is WeChat's limit for a thing field.
const templateValueRunes = 20

// Poster queues notices without blocking: *Outbox, which sends text as a
// customer-service message while WeChat allows one and otherwise the
// fallbacks in order, and records a notice nothing could deliver.
type Poster interface {
	Notify(openid, kind, text string, fallbacks []Fallback) bool
}

// Notices delivers the channel-neutral notifier's private notices
// (bot/notify decides what and to whom) on the official account: the
// text as a customer-service message, with the template message
// Templates names for the notice's kind and then the subscription message
// Subscriptions names as fallbacks, their fields filled from the notice's
// values.
type Notices struct {
	// Templates gives the template message of each kind.
	Templates map[string]TemplateSpec
	// Subscriptions gives the subscription message (订阅通知) of each
	// kind, tried after the template message.
	Subscriptions map[string]TemplateSpec

	out Poster
}

// NewNotices returns Notices that queue through out.
func NewNotices(out Poster) *Notices { return &Notices{out: out} }

// Notify queues text for openid, with its fallbacks; it reports whether
// the outbox took it.
func (n *Notices) Notify(openid, kind, text string, values map[string]string) bool {
	var fallbacks []Fallback
	for _, f := range []struct {
		specs        map[string]TemplateSpec
		subscription bool
	}{{n.Templates, false}, {n.Subscriptions, true}} {
		spec, ok := f.specs[kind]
		if !ok || spec.ID == "" {
			continue
		}
		data := map[string]string{}
		for key, value := range spec.Fields {
			data[key] = clipRunes(values[value], templateValueRunes)
		}
		fallbacks = append(fallbacks, Fallback{Subscription: f.subscription, TemplateID: spec.ID, Data: data})
	}
	return n.out.Notify(openid, kind, text, fallbacks)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
