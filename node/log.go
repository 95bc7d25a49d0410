package node

import (
	"io"

	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// NewLogger returns a CometBFT logger that writes plain text lines to w and
// drops lines below level. Level is "debug", "info" or "error" (also "warn"
// and "none"), or a per-module list in config.toml's log_level syntax, such as
// "consensus:info,*:error".
func NewLogger(w io.Writer, level string) (cmtlog.Logger, error) {
	logger := cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w))
	return cmtflags.ParseLogLevel(level, logger, "info")
}
