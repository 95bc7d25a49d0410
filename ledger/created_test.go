package ledger

import (
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci"
)

func TestCreatedReadsCreatedEvents(t *testing.T) {
	events := []abcitypes.Event{
		{Type: "tx", Attributes: []abcitypes.EventAttribute{{Key: "type", Value: "poll.open"}}},
		{Type: abci.EventCreated, Attributes: []abcitypes.EventAttribute{{Key: "poll", Value: "12"}}},
		{Type: abci.EventCreated, Attributes: []abcitypes.EventAttribute{{Key: "meeting", Value: "9f86d081"}}},
	}
	got := Created(events)
	if len(got) != 2 || got["poll"] != uint64(12) || got["meeting"] != "9f86d081" {
		t.Errorf("Created = %#v, want poll 12 and meeting 9f86d081", got)
	}
	if got := Created(events[:1]); got != nil {
		t.Errorf("Created of a tx that made nothing = %#v, want nil", got)
	}
}
