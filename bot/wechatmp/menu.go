package wechatmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Menu is the official account's custom menu: at most 3 buttons, each a
// click button (Key, one of ClickKeys), a link (URL) or a group of at
// most 5 such sub-buttons.
type Menu struct {
	Buttons []MenuButton `toml:"button" json:"button"`
}

// MenuButton is one button of a Menu.
type MenuButton struct {
	Name string       `toml:"name" json:"name"`
	Key  string       `toml:"key,omitempty" json:"key,omitempty"`
	URL  string       `toml:"url,omitempty" json:"url,omitempty"`
	Sub  []MenuButton `toml:"sub_button,omitempty" json:"sub_button,omitempty"`
}

// ClickKeys returns the keys a click button may have, sorted; each sends
// the engine one command word (VOTE is 投票, ACCOUNTS 账目, …).
func ClickKeys() []string {
	keys := make([]string, 0, len(clickCommands))
	for k := range clickCommands {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DefaultBoardURL is the notice board's address in DefaultMenuTOML; `linli
// wechat menu` writes the board's public_url in its place.
const DefaultBoardURL = "http://127.0.0.1:8090/"

// DefaultMenuTOML is the menu `linli wechat menu` writes when the home has
// none: 投票, 账目 (the accounts in chat, and a link to the notice board),
// and 更多 with the rest.
const DefaultMenuTOML = `# The official account's custom menu, created by ` + "`linli wechat menu`" + `.
# At most 3 buttons (names up to 4 Chinese characters), each with a key,
# a url, or up to 5 sub_button entries (names up to 8 Chinese characters).
# Keys: ACCOUNTS 账目, BIND 绑定, HELP 帮助, MENU 菜单, MINE 我的,
# NOTICES 公告, POINTS 积分, RECEIPTS 回执, REPAIR 报修, SHARE 共享, VOTE 投票.

[[button]]
name = "投票"
key = "VOTE"

[[button]]
name = "账目"

  [[button.sub_button]]
  name = "查账目"
  key = "ACCOUNTS"

  [[button.sub_button]]
  name = "公示栏"
  url = "` + DefaultBoardURL + `"

[[button]]
name = "更多"

  [[button.sub_button]]
  name = "共享物品"
  key = "SHARE"

  [[button.sub_button]]
  name = "公告通知"
  key = "NOTICES"

  [[button.sub_button]]
  name = "报修建议"
  key = "REPAIR"

  [[button.sub_button]]
  name = "我的"
  key = "MINE"

  [[button.sub_button]]
  name = "帮助"
  key = "HELP"
`

// DefaultMenu returns the menu of DefaultMenuTOML.
func DefaultMenu() Menu {
	m, err := ParseMenu("default.toml", []byte(DefaultMenuTOML))
	if err != nil {
		panic(err)
	}
	return m
}

// ParseMenu reads a menu file: JSON (WeChat's own menu format) when name
// ends in .json, TOML otherwise. Unknown keys are errors, and the menu
// must pass Validate.
func ParseMenu(name string, data []byte) (Menu, error) {
	var m Menu
	if strings.EqualFold(filepath.Ext(name), ".json") {
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		if err := d.Decode(&m); err != nil {
			return Menu{}, fmt.Errorf("menu %s: %w", name, err)
		}
	} else {
		md, err := toml.Decode(string(data), &m)
		if err != nil {
			return Menu{}, fmt.Errorf("menu %s: %w", name, err)
		}
		if u := md.Undecoded(); len(u) > 0 {
			return Menu{}, fmt.Errorf("menu %s: unknown key %s", name, u[0])
		}
	}
	if err := m.Validate(); err != nil {
		return Menu{}, fmt.Errorf("menu %s: %w", name, err)
	}
	return m, nil
}

// WeChat's limits on a menu.
const (
	maxButtons    = 3
	maxSubButtons = 5
	maxTopName    = 16 // bytes
	maxSubName    = 60 // bytes
	maxMenuURL    = 1024
)

// Validate checks the menu against WeChat's limits and linli's click keys,
// and returns every problem, joined.
func (m Menu) Validate() error {
	var errs []error
	if n := len(m.Buttons); n < 1 || n > maxButtons {
		errs = append(errs, fmt.Errorf("%d buttons; a menu has 1 to %d", n, maxButtons))
	}
	for i, b := range m.Buttons {
		where := fmt.Sprintf("button %d (%s)", i+1, b.Name)
		errs = append(errs, b.check(where, maxTopName)...)
		if len(b.Sub) == 0 {
			continue
		}
		if b.Key != "" || b.URL != "" {
			errs = append(errs, fmt.Errorf("%s: a button with sub-buttons has no key or url", where))
		}
		if len(b.Sub) > maxSubButtons {
			errs = append(errs, fmt.Errorf("%s: %d sub-buttons; at most %d", where, len(b.Sub), maxSubButtons))
		}
		for j, s := range b.Sub {
			swhere := fmt.Sprintf("%s, sub-button %d (%s)", where, j+1, s.Name)
			errs = append(errs, s.check(swhere, maxSubName)...)
			if len(s.Sub) > 0 {
				errs = append(errs, fmt.Errorf("%s: sub-buttons cannot have sub-buttons", swhere))
			}
			errs = append(errs, s.checkAction(swhere)...)
		}
	}
	for i, b := range m.Buttons {
		if len(b.Sub) == 0 {
			errs = append(errs, b.checkAction(fmt.Sprintf("button %d (%s)", i+1, b.Name))...)
		}
	}
	return errors.Join(errs...)
}

func (b MenuButton) check(where string, maxName int) []error {
	var errs []error
	if strings.TrimSpace(b.Name) == "" {
		errs = append(errs, fmt.Errorf("%s: no name", where))
	}
	if len(b.Name) > maxName {
		errs = append(errs, fmt.Errorf("%s: the name has %d bytes; WeChat allows %d", where, len(b.Name), maxName))
	}
	return errs
}

func (b MenuButton) checkAction(where string) []error {
	switch {
	case b.Key != "" && b.URL != "":
		return []error{fmt.Errorf("%s: has both a key and a url", where)}
	case b.Key != "":
		if _, ok := clickCommands[b.Key]; !ok {
			return []error{fmt.Errorf("%s: key %q is not one of %s", where, b.Key, strings.Join(ClickKeys(), ", "))}
		}
	case b.URL != "":
		u, err := url.Parse(b.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(b.URL) > maxMenuURL {
			return []error{fmt.Errorf("%s: url %q is not an http(s) URL of at most %d bytes", where, b.URL, maxMenuURL)}
		}
	default:
		return []error{fmt.Errorf("%s: needs a key, a url or sub-buttons", where)}
	}
	return nil
}
