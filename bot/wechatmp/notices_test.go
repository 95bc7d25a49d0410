package wechatmp_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/linli-community/linli/bot/wechatmp"
)

// fallbackPoster records what Notices hands the outbox.
type fallbackPoster struct{ got []string }

func (p *fallbackPoster) Notify(openid, kind, text string, fallbacks []wechatmp.Fallback) bool {
	s := openid + " " + kind + " " + text
	for _, f := range fallbacks {
		keys := make([]string, 0, len(f.Data))
		for k := range f.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		id := f.TemplateID
		if f.Subscription {
			id = "sub:" + id
		}
		s += " | " + id
		for _, k := range keys {
			s += " " + k + "=" + f.Data[k]
		}
	}
	p.got = append(p.got, s)
	return true
}

// A notice carries the template and subscription messages of its kind,
// filled from its values and clipped to WeChat's 20 characters; a kind
// with none configured goes as text only.
func TestNoticesFallbacks(t *testing.T) {
	out := &fallbackPoster{}
	n := wechatmp.NewNotices(out)
	n.Templates = map[string]wechatmp.TemplateSpec{"proposal": {ID: "tmpl-new", Fields: map[string]string{"thing1": "title", "time2": "time", "thing3": "community"}}}
	n.Subscriptions = map[string]wechatmp.TemplateSpec{"proposal": {ID: "sub-new", Fields: map[string]string{"thing1": "title"}}}
	values := map[string]string{"title": strings.Repeat("长", 25), "time": "9月10日 20:00", "community": "阳光花园"}
	n.Notify("oA", "proposal", "新的投票", values)
	n.Notify("oB", "repair", "报修", values)
	clipped := strings.Repeat("长", 19) + "…"
	want := []string{
		"oA proposal 新的投票 | tmpl-new thing1=" + clipped + " thing3=阳光花园 time2=9月10日 20:00 | sub:sub-new thing1=" + clipped,
		"oB repair 报修",
	}
	if fmt.Sprint(out.got) != fmt.Sprint(want) {
		t.Errorf("got\n%q\nwant\n%q", out.got, want)
	}
}
