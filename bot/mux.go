package bot

// Handler answers a message routed to it by a command word. ServeChat
// writes its answer through the Turn (Say, Show, …) and changes the
// user's screens through it; an error is an internal failure, which the
// engine logs and answers with a polite "please try again".
type Handler interface {
	ServeChat(t *Turn) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(t *Turn) error

// ServeChat calls f(t).
func (f HandlerFunc) ServeChat(t *Turn) error { return f(t) }

// Mux routes canonical command words (Input.Cmd) to Handlers. Messages that
// are not a routed command go to the screen the user is on.
type Mux struct {
	m map[string]Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{m: map[string]Handler{}} }

// Handle routes word to h, replacing any earlier route.
func (m *Mux) Handle(word string, h Handler) { m.m[word] = h }

// HandleFunc routes word to f.
func (m *Mux) HandleFunc(word string, f func(t *Turn) error) { m.Handle(word, HandlerFunc(f)) }

// Handler returns the handler of word.
func (m *Mux) Handler(word string) (Handler, bool) {
	h, ok := m.m[word]
	return h, ok
}

// DefaultMux returns a Mux with linli's command words: 菜单, 返回, 投票,
// 账目, 共享, 公告, 回执, 积分, 绑定, 帮助, 我的, 报修, 管理, 委托 and 代理. Words that
// only mean something on a screen (同意, 确认, 全文…) are left to the
// screen.
func DefaultMux() *Mux {
	m := NewMux()
	m.HandleFunc("菜单", func(t *Turn) error { return t.Home() })
	m.HandleFunc("返回", func(t *Turn) error { return t.Back() })
	m.HandleFunc("投票", func(t *Turn) error { return t.Open(Frame{Screen: "votes"}) })
	m.HandleFunc("账目", func(t *Turn) error { return t.Open(Frame{Screen: "accounts"}) })
	m.HandleFunc("共享", func(t *Turn) error { return t.Open(Frame{Screen: "sharing"}) })
	m.HandleFunc("公告", func(t *Turn) error { return t.Open(Frame{Screen: "notices"}) })
	m.HandleFunc("报修", func(t *Turn) error { return t.Open(Frame{Screen: "repairs"}) })
	m.HandleFunc("积分", func(t *Turn) error { return t.Open(Frame{Screen: "points"}) })
	m.HandleFunc("回执", func(t *Turn) error { return t.Open(Frame{Screen: "receipts"}) })
	m.HandleFunc("我的", func(t *Turn) error { return t.Open(Frame{Screen: "mine"}) })
	m.HandleFunc("帮助", func(t *Turn) error { return t.Open(Frame{Screen: "help"}) })
	m.HandleFunc("绑定", serveBind)
	m.HandleFunc("管理", serveAdmin)
	m.HandleFunc("委托", serveProxy)
	m.HandleFunc("代理", serveAgent)
	return m
}
