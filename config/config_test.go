package config

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestDefaultFileDecodesToExactlyDefault(t *testing.T) {
	// Decode into a zero Config, not over the defaults, so that a key
	// missing from default.toml shows up as a difference.
	var got Config
	md, err := toml.Decode(string(defaultFile), &got)
	if err != nil {
		t.Fatalf("decode default.toml: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("default.toml has keys Config does not: %v", u)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("default.toml decodes to\n%+v\nDefault() is\n%+v", got, want)
	}
	if err := checkKeys(md, &got); err != nil {
		t.Errorf("default.toml: %v", err)
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestDefaultFileDocumentsEveryKey(t *testing.T) {
	var prev string
	keys := 0
	sc := bufio.NewScanner(bytes.NewReader(defaultFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "[") {
			keys++
			if !strings.HasPrefix(prev, "#") {
				t.Errorf("key line %q has no comment right above it", line)
			}
		}
		prev = line
	}
	if want := leafKeys(reflect.TypeFor[Config]()); keys != want {
		t.Errorf("found %d keys in default.toml, want one per setting of Config: %d", keys, want)
	}
}

// leafKeys counts the settings of a config struct: its fields that are
// neither sections (structs) nor tables of named entries (maps) or arrays
// of tables (slices of structs), which default.toml shows as commented
// examples.
func leafKeys(t reflect.Type) int {
	n := 0
	for f := range t.Fields() {
		switch f.Type.Kind() {
		case reflect.Struct:
			n += leafKeys(f.Type)
		case reflect.Map:
		case reflect.Slice:
			if f.Type.Elem().Kind() != reflect.Struct {
				n++
			}
		default:
			n++
		}
	}
	return n
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		file string
		want func(*Config)
	}{
		{"EmptyFileGivesDefaults", "", func(*Config) {}},
		{"KeysLeftOutKeepDefaults", "[client]\nnode = \"tcp://10.0.0.2:26657\"\n", func(c *Config) {
			c.Client.Node = "tcp://10.0.0.2:26657"
		}},
		{"EveryKeySet", `
log_level = "debug"
[client]
node = "https://node.example.org:443"
commit_timeout = "1m30s"
[roster]
batch_size = 500
`, func(c *Config) {
			c.LogLevel = "debug"
			c.Client.Node = "https://node.example.org:443"
			c.Client.CommitTimeout = 90 * time.Second
			c.Roster.BatchSize = 500
		}},
		{"UnixSocketNode", "[client]\nnode = \"unix:///var/run/linli/rpc.sock\"\n", func(c *Config) {
			c.Client.Node = "unix:///var/run/linli/rpc.sock"
		}},
		{"SmallestBatch", "[roster]\nbatch_size = 1\n", func(c *Config) { c.Roster.BatchSize = 1 }},
		{"SubSecondTimeout", "[client]\ncommit_timeout = \"500ms\"\n", func(c *Config) {
			c.Client.CommitTimeout = 500 * time.Millisecond
		}},
		{"WechatEnabled", `
[wechat]
enabled = true
app_id = "wx1234567890abcdef"
listen = "127.0.0.1:9000"
budget = "3500ms"
[wechat.templates.reminder]
id = "tmpl-1"
fields = { thing1 = "title", time2 = "time" }
`, func(c *Config) {
			c.Wechat.Enabled = true
			c.Wechat.AppID = "wx1234567890abcdef"
			c.Wechat.Listen = "127.0.0.1:9000"
			c.Wechat.Budget = 3500 * time.Millisecond
			c.Wechat.Templates = map[string]WechatTemplate{"reminder": {ID: "tmpl-1", Fields: map[string]string{"thing1": "title", "time2": "time"}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeFile(t, tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadMissingFileGivesDefaults(t *testing.T) {
	got, err := Load(filepath.Join(t.TempDir(), "linli.toml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoadRejectsWithKeyNamed(t *testing.T) {
	tests := []struct {
		name string
		file string
		keys []string // each must be a *KeyError, in order
	}{
		{"ErrUnknownTopLevelKey", "loglevel = \"info\"\n", []string{"loglevel"}},
		{"ErrUnknownKeyInSection", "[client]\nnodes = \"http://x:1\"\n", []string{"client.nodes"}},
		{"ErrUnknownSectionReportedOnce", "[telegram]\nappid = \"x\"\ntoken = \"y\"\n", []string{"telegram"}},
		{"ErrSecretInWechatSection", "[wechat]\napp_secret = \"x\"\ntoken = \"y\"\n", []string{"wechat.app_secret", "wechat.token"}},
		{"ErrWechatEnabledWithoutAppID", "[wechat]\nenabled = true\n", []string{"wechat.app_id"}},
		{"ErrWechatBudgetPastWeChatsWait", "[wechat]\nbudget = \"5s\"\n", []string{"wechat.budget"}},
		{"ErrWechatBudgetAsInteger", "[wechat]\nbudget = 4\n", []string{"wechat.budget"}},
		{"ErrWechatListen", "[wechat]\nlisten = \"8080\"\n", []string{"wechat.listen"}},
		{"ErrWechatPath", "[wechat]\npath = \"wechat\"\n", []string{"wechat.path"}},
		{"ErrWechatAppIDCharacters", "[wechat]\napp_id = \"wx 123\"\n", []string{"wechat.app_id"}},
		{"ErrWechatWindowTooShort", "[wechat]\ntimestamp_window = \"5s\"\n", []string{"wechat.timestamp_window"}},
		{"ErrWechatBodyTooLarge", "[wechat]\nmax_body = 10485760\n", []string{"wechat.max_body"}},
		{"ErrWechatAPIURL", "[wechat]\napi_url = \"ftp://x\"\n", []string{"wechat.api_url"}},
		{"ErrWechatSendRate", "[wechat]\nsend_rate = 0\n", []string{"wechat.send_rate"}},
		{"ErrWechatTemplateKind", "[wechat.templates.birthday]\nid = \"T\"\nfields = { thing1 = \"title\" }\n", []string{"wechat.templates.birthday"}},
		{"ErrWechatTemplateWithoutID", "[wechat.templates.result]\nfields = { thing1 = \"title\" }\n", []string{"wechat.templates.result.id"}},
		{"ErrWechatTemplateValue", "[wechat.templates.result]\nid = \"T\"\nfields = { thing1 = \"name\" }\n", []string{"wechat.templates.result.fields.thing1"}},
		{"ErrUnknownSubTable", "[client.tls]\nca = \"x\"\n", []string{"client.tls"}},
		{"ErrEveryUnknownKey", "a = 1\n[roster]\nb = 2\n", []string{"a", "roster.b"}},
		{"ErrDurationAsInteger", "[client]\ncommit_timeout = 15\n", []string{"client.commit_timeout"}},
		{"ErrLogLevel", "log_level = \"warn\"\n", []string{"log_level"}},
		{"ErrLogLevelCase", "log_level = \"INFO\"\n", []string{"log_level"}},
		{"ErrNodeNoScheme", "[client]\nnode = \"127.0.0.1:26657\"\n", []string{"client.node"}},
		{"ErrNodeBadScheme", "[client]\nnode = \"ftp://127.0.0.1:26657\"\n", []string{"client.node"}},
		{"ErrNodeNoHost", "[client]\nnode = \"http://:26657\"\n", []string{"client.node"}},
		{"ErrNodeWithPath", "[client]\nnode = \"http://127.0.0.1:26657/status\"\n", []string{"client.node"}},
		{"ErrNodeUnixNoPath", "[client]\nnode = \"unix://\"\n", []string{"client.node"}},
		{"ErrCommitTimeoutZero", "[client]\ncommit_timeout = \"0s\"\n", []string{"client.commit_timeout"}},
		{"ErrCommitTimeoutNegative", "[client]\ncommit_timeout = \"-1s\"\n", []string{"client.commit_timeout"}},
		{"ErrCommitTimeoutTooLong", "[client]\ncommit_timeout = \"61m\"\n", []string{"client.commit_timeout"}},
		{"ErrBatchSizeZero", "[roster]\nbatch_size = 0\n", []string{"roster.batch_size"}},
		{"ErrBatchSizeTooLarge", "[roster]\nbatch_size = 501\n", []string{"roster.batch_size"}},
		{"ErrEveryBadValue", "log_level = \"x\"\n[roster]\nbatch_size = -1\n", []string{"log_level", "roster.batch_size"}},
		{"ErrUnknownKeyAndBadValueTogether", "a = 1\n[roster]\nbatch_size = 0\n", []string{"a", "roster.batch_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.file))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if got := keyErrors(err); !reflect.DeepEqual(got, tt.keys) {
				t.Errorf("got key errors %q, want %q (error: %v)", got, tt.keys, err)
			}
		})
	}
}

// TestLoadTypeErrorsNameTheKey covers values TOML itself cannot decode into
// Config. These are TOML errors, not *KeyError, so the test checks that the
// message names the key: that is the behaviour a user needs.
func TestLoadTypeErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		file string
		key  string
	}{
		{"ErrBatchSizeString", "[roster]\nbatch_size = \"100\"\n", "roster.batch_size"},
		{"ErrBatchSizeFloat", "[roster]\nbatch_size = 1.5\n", "roster.batch_size"},
		{"ErrBatchSizeOverflow", "[roster]\nbatch_size = 99999999999999999999\n", "roster.batch_size"},
		{"ErrCommitTimeoutNotADuration", "[client]\ncommit_timeout = \"15 seconds\"\n", "client.commit_timeout"},
		{"ErrLogLevelNotAString", "log_level = 1\n", "log_level"},
		{"ErrSectionNotATable", "client = \"x\"\n", "client"},
		{"ErrDuplicateKey", "log_level = \"info\"\nlog_level = \"debug\"\n", "log_level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.file))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), `"`+tt.key+`"`) {
				t.Errorf("error %q does not name %q", err, tt.key)
			}
		})
	}
}

func TestLoadErrorNamesTheFileOnEveryLine(t *testing.T) {
	path := writeFile(t, "log_level = \"x\"\n[roster]\nbatch_size = 0\n")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Errorf("got %d lines, want 2: %v", len(lines), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path+": ") {
			t.Errorf("line %q does not start with the path %s", l, path)
		}
	}
}

func TestLoadDirectoryIsAnError(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load of a directory succeeded, want an error")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		keys []string
	}{
		{"DefaultIsValid", func(*Config) {}, nil},
		{"ErrZeroConfig", func(c *Config) { *c = Config{} }, []string{"log_level", "client.commit_timeout", "roster.batch_size",
			"chat.session_ttl", "wechat.listen", "wechat.path", "wechat.budget", "wechat.timestamp_window", "wechat.max_body", "wechat.api_timeout",
			"wechat.notify_interval", "wechat.send_rate", "wechat.queue_size", "wechat.message_window", "wechat.event_window",
			"wecom.api_timeout", "wecom.per_day", "wecom.check_after", "wecom.confirm_by", "board.listen",
			"wxgroup.gap", "wxgroup.group_daily", "wxgroup.daily", "wxgroup.queue_size", "wxgroup.answer_ttl", "wxgroup.retry_base", "wxgroup.tries", "wxgroup.bindcode_ttl"}},

		{"ErrWxGroupPacingBeyondTheFloorsAndCaps", func(c *Config) {
			c.WxGroup.Gap, c.WxGroup.GroupDaily, c.WxGroup.Daily = 29*time.Second, 21, 201
		}, []string{"wxgroup.gap", "wxgroup.group_daily", "wxgroup.daily"}},
		{"WxGroupAtTheFloorsAndCapsIsValid", func(c *Config) {
			c.WxGroup.Gap, c.WxGroup.Jitter, c.WxGroup.GroupDaily, c.WxGroup.Daily = MinWxGroupGap, 0, MaxWxGroupGroupDaily, MaxWxGroupDaily
		}, nil},
		{"ErrWxGroupRetryMaxBelowBase", func(c *Config) { c.WxGroup.RetryMax = 30 * time.Second }, []string{"wxgroup.retry_max"}},
		{"WxGroupNamedGroupsAreValid", func(c *Config) {
			c.WxGroup.Groups = map[string]string{"3号楼业主群": "3", "阳光花园大家庭": ""}
		}, nil},
		{"ErrWxGroupBlankGroupName", func(c *Config) { c.WxGroup.Groups = map[string]string{" ": "3"} }, []string{"wxgroup.groups"}},
		{"ErrBoardPublicURLNotHTTP", func(c *Config) { c.Board.PublicURL = "ftp://x/" }, []string{"board.public_url"}},
		{"ErrBoardPublicURLWithQuery", func(c *Config) { c.Board.PublicURL = "https://x.example/?a=1" }, []string{"board.public_url"}},
		{"BoardPublicURLIsValid", func(c *Config) { c.Board.PublicURL = "https://gongshi.example.org/" }, nil},
		{"ErrBatchSizeTooLarge", func(c *Config) { c.Roster.BatchSize = MaxBatchSize + 1 }, []string{"roster.batch_size"}},
		{"LargestBatchIsValid", func(c *Config) { c.Roster.BatchSize = MaxBatchSize }, nil},
		{"LongestTimeoutIsValid", func(c *Config) { c.Client.CommitTimeout = MaxCommitTimeout }, nil},
		{"ErrSessionTTLTooShort", func(c *Config) { c.Chat.SessionTTL = MinSessionTTL - time.Second }, []string{"chat.session_ttl"}},
		{"ErrSessionTTLTooLong", func(c *Config) { c.Chat.SessionTTL = MaxSessionTTL + time.Second }, []string{"chat.session_ttl"}},
		{"ShortestSessionTTLIsValid", func(c *Config) { c.Chat.SessionTTL = MinSessionTTL }, nil},
		{"ErrPushQuotaAboveWeChats", func(c *Config) {
			c.Wechat.MessageQuota, c.Wechat.MessageWindow, c.Wechat.EventQuota, c.Wechat.EventWindow = 6, 49*time.Hour, 4, 2*time.Minute
		}, []string{"wechat.message_quota", "wechat.message_window", "wechat.event_quota", "wechat.event_window"}},
		{"WeChatsOwnQuotaIsValid", func(c *Config) {
			c.Wechat.MessageQuota, c.Wechat.MessageWindow, c.Wechat.EventQuota, c.Wechat.EventWindow = 5, 48*time.Hour, 3, time.Minute
		}, nil},
		{"ErrSubscriptionOfUnknownKind", func(c *Config) {
			c.Wechat.Subscriptions = map[string]WechatTemplate{"party": {ID: "s", Fields: map[string]string{"thing1": "title"}}, "result": {ID: ""}}
		}, []string{"wechat.subscriptions.party", "wechat.subscriptions.result.id", "wechat.subscriptions.result.fields"}},
		{"PlaintextAllowedIsValid", func(c *Config) { c.Wechat.AllowPlaintext = true }, nil},
		{"ErrWecomEnabledWithoutItsSettings", func(c *Config) { c.Wecom.Enabled = true }, []string{"wecom.corp_id", "wecom.groups"}},
		{"ErrWecomGroupsIncomplete", func(c *Config) {
			c.Wecom.Enabled, c.Wecom.CorpID = true, "ww1"
			c.Wecom.Groups = []WecomGroup{{ChatID: "wr1", Owner: "zhang"}, {ChatID: "wr1", Owner: "li"}, {Owner: "li"}, {ChatID: "wr2"}}
		}, []string{"wecom.groups[1].chat_id", "wecom.groups[2].chat_id", "wecom.groups[3].owner"}},
		{"ErrWecomBudgetOutOfRange", func(c *Config) { c.Wecom.PerDay, c.Wecom.PerMonth = 0, 32 }, []string{"wecom.per_day", "wecom.per_month"}},
		{"WecomWithAGroupIsValid", func(c *Config) {
			c.Wecom.Enabled, c.Wecom.CorpID = true, "ww1"
			c.Wecom.Groups = []WecomGroup{{ChatID: "wr1", Owner: "zhang", Building: "3"}}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if got := keyErrors(err); !reflect.DeepEqual(got, tt.keys) {
				t.Errorf("got key errors %q, want %q (error: %v)", got, tt.keys, err)
			}
		})
	}
}

func TestWriteDefaultCreatesFileThatLoadsToDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home", "config", "linli.toml")
	created, err := WriteDefault(path)
	if err != nil || !created {
		t.Fatalf("WriteDefault = %v, %v; want true, nil", created, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, defaultFile) {
		t.Errorf("wrote\n%s\nwant the embedded default.toml", data)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o644 {
			t.Errorf("mode %v, want 0644", got)
		}
	}
}

func TestWriteDefaultNeverOverwrites(t *testing.T) {
	path := writeFile(t, "[roster]\nbatch_size = 7\n")
	created, err := WriteDefault(path)
	if err != nil || created {
		t.Fatalf("WriteDefault = %v, %v; want false, nil", created, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "[roster]\nbatch_size = 7\n"; got != want {
		t.Errorf("file is now %q, want it unchanged %q", got, want)
	}
}

func TestWriteDefaultTwiceCreatesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "linli.toml")
	first, err1 := WriteDefault(path)
	second, err2 := WriteDefault(path)
	if !first || err1 != nil || second || err2 != nil {
		t.Errorf("got (%v, %v) then (%v, %v); want (true, nil) then (false, nil)", first, err1, second, err2)
	}
}

func TestWriteDefaultDoesNotReplaceADirectory(t *testing.T) {
	dir := t.TempDir()
	created, err := WriteDefault(dir)
	if created || err != nil {
		t.Errorf("got %v, %v; want false, nil", created, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("directory %s is gone: %v", dir, err)
	}
}

func TestWriteDefaultReportsUnwritableDirectory(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	created, err := WriteDefault(filepath.Join(parent, "linli.toml"))
	if created || err == nil {
		t.Errorf("got %v, %v; want false and an error", created, err)
	}
	if errors.Is(err, fs.ErrExist) {
		t.Errorf("got %v, which looks like an existing file", err)
	}
}

// writeFile writes content to a linli.toml in a temporary directory.
func writeFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "linli.toml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// keyErrors returns the keys of the *KeyError values err joins, in order.
func keyErrors(err error) []string {
	var keys []string
	for _, e := range unjoin(err) {
		var ke *KeyError
		if errors.As(e, &ke) {
			keys = append(keys, ke.Key)
		}
	}
	return keys
}

func TestBoardURL(t *testing.T) {
	for _, tt := range []struct{ public, listen, want string }{
		{"", "127.0.0.1:8090", "http://127.0.0.1:8090/"},
		{"", ":8090", "http://127.0.0.1:8090/"},
		{"", "0.0.0.0:9000", "http://127.0.0.1:9000/"},
		{"https://gongshi.example.org", "127.0.0.1:8090", "https://gongshi.example.org/"},
		{"https://x.example/board/", "127.0.0.1:8090", "https://x.example/board/"},
	} {
		if got := (Board{PublicURL: tt.public}).URL(tt.listen); got != tt.want {
			t.Errorf("URL(%q) with public_url %q = %q, want %q", tt.listen, tt.public, got, tt.want)
		}
	}
}

func TestSetBoardListen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "linli.toml")
	if _, err := WriteDefault(path); err != nil {
		t.Fatal(err)
	}
	if err := SetBoardListen(path, "127.0.0.1:26602"); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Board.Listen != "127.0.0.1:26602" || c.Wechat.Listen != Default().Wechat.Listen {
		t.Errorf("board.listen = %q, wechat.listen = %q", c.Board.Listen, c.Wechat.Listen)
	}
	if err := SetBoardListen(path, "127.0.0.1:26612"); err == nil {
		t.Error("changed a listen line that is no longer the default's")
	}
	if err := SetBoardListen(filepath.Join(t.TempDir(), "none.toml"), "127.0.0.1:1"); err == nil {
		t.Error("changed a file that does not exist")
	}
}
