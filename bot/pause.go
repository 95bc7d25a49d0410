package bot

import "context"

type pauseKey struct{}

// WithPause returns a context under which the engine calls pause just
// before it waits for a commit, and the function pause returned once the
// wait is over. An adapter that bounds how many messages it handles at
// once uses it to free a slot while a message only waits, so that reads
// do not queue behind votes.
func WithPause(ctx context.Context, pause func() (resume func())) context.Context {
	return context.WithValue(ctx, pauseKey{}, pause)
}

// PauseFor calls the pause hook of ctx, if any, and returns its resume:
// the engine calls it around a commit wait, and so may any Handler that
// waits without working.
func PauseFor(ctx context.Context) (resume func()) {
	if p, ok := ctx.Value(pauseKey{}).(func() func()); ok && p != nil {
		return p()
	}
	return func() {}
}
