package bot

import (
	"encoding/json"
	"fmt"
	"time"
)

// Session is what the engine remembers of a user between messages: the
// stack of screens (home at the bottom, the one the user sees on top), and
// the user's recent receipts. It is stored as JSON through Sessions.
type Session struct {
	Stack    []Frame `json:"stack,omitempty"`
	Receipts []Note  `json:"receipts,omitempty"`
}

// Frame is one screen the user has seen: its name, what it is about, and
// what each digit meant when it was shown, so that a reply is read against
// the screen the user saw even if the ledger changed since.
type Frame struct {
	Screen string `json:"s"`
	// ID is the proposal (or other record) the screen is about.
	ID uint64 `json:"id,omitempty"`
	// Choices[n-1] is what digit n means on this screen ("" for none).
	Choices []string `json:"c,omitempty"`
	// Step and Form are a guided dialogue's current question and the
	// answers so far.
	Step string            `json:"step,omitempty"`
	Form map[string]string `json:"f,omitempty"`
	// Action is what a confirmation screen will do on "1".
	Action *Action `json:"a,omitempty"`
}

// Action is a write waiting for confirmation. Its tx body is built when the
// user confirms, so secrets made for it (a binding code) are never stored.
type Action struct {
	Kind    string            `json:"k"`
	ID      uint64            `json:"id,omitempty"`
	Nums    []int             `json:"n,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
	Summary string            `json:"sum"`
}

// Note is a receipt kept for "我的回执".
type Note struct {
	At     int64  `json:"at"`
	What   string `json:"what"`
	Height int64  `json:"h,omitempty"`
	Hash   string `json:"hash"`
	Code   uint32 `json:"code,omitempty"`
	// Pending is set while the commit is not yet known.
	Pending bool `json:"pending,omitempty"`
}

// Limits of a session.
const (
	maxStack = 12
	maxNotes = 10
)

func (s *Session) top() *Frame {
	if len(s.Stack) == 0 {
		return nil
	}
	return &s.Stack[len(s.Stack)-1]
}

func (s *Session) push(f Frame) {
	if len(s.Stack) >= maxStack {
		// Keep home and the most recent screens.
		s.Stack = append(s.Stack[:1], s.Stack[len(s.Stack)-maxStack+2:]...)
	}
	s.Stack = append(s.Stack, f)
}

func (s *Session) pop() {
	if len(s.Stack) > 0 {
		s.Stack = s.Stack[:len(s.Stack)-1]
	}
}

func (s *Session) addNote(n Note) {
	s.Receipts = append([]Note{n}, s.Receipts...)
	if len(s.Receipts) > maxNotes {
		s.Receipts = s.Receipts[:maxNotes]
	}
}

func (s *Session) updateNote(hash string, height int64, code uint32) {
	for i := range s.Receipts {
		if s.Receipts[i].Hash == hash {
			s.Receipts[i].Height, s.Receipts[i].Code, s.Receipts[i].Pending = height, code, false
		}
	}
}

// loadSession reads the user's session. A session idle for longer than the
// engine's SessionTTL loses its screens (not its receipts), and the turn
// remembers that it expired.
func (t *Turn) loadSession() error {
	t.sess = &Session{}
	state, updated, ok, err := t.e.Sessions.Get(t.ctx, t.Req.Channel, t.Req.User)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(state, t.sess); err != nil {
		// A session from an incompatible version: start afresh.
		t.e.Logger.Warn("discarding unreadable session", "channel", t.Req.Channel, "err", err)
		t.sess = &Session{}
		return nil
	}
	if len(t.sess.Stack) > 0 && t.now.Sub(updated) > t.e.SessionTTL {
		t.sess.Stack = nil
		t.expired = true
	}
	for _, f := range t.sess.Stack {
		if screenFor(f.Screen) == nil {
			t.sess.Stack = nil
			break
		}
	}
	return nil
}

func (t *Turn) saveSession() error {
	if len(t.sess.Stack) == 0 && len(t.sess.Receipts) == 0 {
		return t.e.Sessions.Delete(t.ctx, t.Req.Channel, t.Req.User)
	}
	b, err := json.Marshal(t.sess)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	return t.e.Sessions.Put(t.ctx, t.Req.Channel, t.Req.User, b, t.now)
}

// updateLater records the outcome of a pending tx in the user's session,
// from Reply.Later.
func (e *Engine) updateLater(t *Turn, hash string, height int64, code uint32) error {
	unlock := e.locks.lock(t.Req.Channel + "\x00" + t.Req.User)
	defer unlock()
	if err := t.loadSession(); err != nil {
		return err
	}
	t.sess.updateNote(hash, height, code)
	t.now = e.Now()
	return t.saveSession()
}

// unixTime converts a unix time for display.
func (e *Engine) unixTime(s int64) time.Time { return time.Unix(s, 0).In(e.Location) }
