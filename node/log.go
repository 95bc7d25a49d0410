package node

import (
	"errors"
	"io"
	"net"

	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// NewLogger returns a CometBFT logger that writes plain text lines to w and
// drops lines below level. Level is "debug", "info" or "error" (also "warn"
// and "none"), or a per-module list in config.toml's log_level syntax, such as
// "consensus:info,*:error". The error lines CometBFT writes when a clean
// stop closes its own listeners are left out (see quietStop).
func NewLogger(w io.Writer, level string) (cmtlog.Logger, error) {
	logger, err := cmtflags.ParseLogLevel(level, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w)), "info")
	if err != nil {
		return nil, err
	}
	return quietStop{logger}, nil
}

// quietStop drops two error lines CometBFT logs on every clean stop, when
// it closes the RPC and P2P listeners itself: "Error serving server" with
// a closed-connection error, and "Stopped accept routine, as transport is
// closed". At the default level they were all an operator saw after
// Ctrl-C, and they read like a failure.
type quietStop struct{ cmtlog.Logger }

func (l quietStop) Error(msg string, keyvals ...any) {
	if stopNoise(msg, keyvals) {
		return
	}
	l.Logger.Error(msg, keyvals...)
}

func (l quietStop) With(keyvals ...any) cmtlog.Logger { return quietStop{l.Logger.With(keyvals...)} }

func stopNoise(msg string, keyvals []any) bool {
	switch msg {
	case "Stopped accept routine, as transport is closed":
		return true
	case "Error serving server":
		for _, v := range keyvals {
			if err, ok := v.(error); ok && errors.Is(err, net.ErrClosed) {
				return true
			}
		}
	}
	return false
}
