package abci

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/linli-community/linli/abci/tx"
)

// Context is what a tx handler sees: the block it runs in, its signer and
// the state it reads and writes. Handlers write only through it.
type Context struct {
	Height int64
	// Time is the block time in unix seconds; every deadline compares with
	// it. During CheckTx it is the last committed block's time.
	Time int64
	// Checking is true during CheckTx, where a handler must not reveal
	// secrets (whether a binding code is right) and must not count
	// failures.
	Checking bool
	Signer   tx.Address
	// ChainID is the chain's id, which binding proofs sign.
	ChainID string
	// TxHash is the hex SHA-256 of the tx bytes, as CometBFT indexes it,
	// so records can point at the tx that made them (receipts).
	TxHash string
	Params Params

	st     *cache
	keep   map[string][]byte
	events []abcitypes.Event
}

// emit records an event; attribute pairs are indexed so receipts and
// notices can find them.
func (c *Context) emit(typ string, kv ...string) {
	ev := abcitypes.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Attributes = append(ev.Attributes, abcitypes.EventAttribute{Key: kv[i], Value: kv[i+1], Index: indexed(typ, kv[i])})
	}
	c.events = append(c.events, ev)
}

// EventCreated is the type of the event that names what a tx created: one
// attribute per kind of record (proposal, poll, entry, item, booking,
// announcement, comment, repair, dispute, account, meeting), whose value is
// the new record's id. Receipts show it as "created", so a script learns the
// id of what it made without searching for it.
const EventCreated = "created"

// created records that the tx created the record kind/id.
func (c *Context) created(kind, id string) { c.emit(EventCreated, kind, id) }

// indexed reports whether CometBFT's tx indexer should make an event
// attribute searchable. Every node indexes on every block, so only what
// someone searches by is indexed: a tx's signer and type ("my receipts",
// `tx_search "tx.signer='…'"`). All attributes still appear in results.
func indexed(typ, key string) bool {
	return typ == "tx" && (key == "signer" || key == "type")
}

// keepOnReject stores a write that stands even when the handler then
// rejects the tx: the only one is a wrong binding code's failure count.
func (c *Context) keepOnReject(key string, v any) {
	b := tx.Canonical(v)
	c.st.set(key, b)
	c.keep[key] = b
}

func (c *Context) requireRole(role string) error {
	if !hasRole(c.st, c.Signer, role) {
		return reject(CodeUnauthorized, "signer %s does not have role %s", c.Signer, role)
	}
	return nil
}

// decodeErrorCode maps tx decoding errors to result codes.
func decodeErrorCode(err error) Code {
	switch {
	case errors.Is(err, tx.ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, tx.ErrNonCanonical):
		return CodeNonCanonical
	case errors.Is(err, tx.ErrVersion):
		return CodeVersion
	case errors.Is(err, tx.ErrUnknownType):
		return CodeUnknownType
	case errors.Is(err, tx.ErrInvalidBody):
		return CodeInvalidBody
	case errors.Is(err, tx.ErrBadSignature):
		return CodeBadSignature
	}
	return CodeMalformed
}

// mustNotChangeTx makes execTx check, after each tx, that its handler
// left the decoded tx as it was: decoded txs are shared (checkedTxs). The
// package's tests turn it on; it costs an encoding per tx.
var mustNotChangeTx = false

// execTx runs one tx against parent (a block's or CheckTx's cache): decode,
// authenticate, consume the nonce, then apply the body in a cache of its
// own that reaches parent only if the handler succeeds. A tx rejected in a
// block changes nothing but its signer's nonce (and a wrong binding code's
// failure count).
func execTx(parent *cache, chainID string, height, blockTime int64, checking bool, params Params, raw []byte, checked *checkedTxs) *abcitypes.ExecTxResult {
	t, ok := checked.get(raw)
	if !ok {
		var err error
		if t, err = tx.Decode(raw); err != nil {
			return result(&Error{Code: decodeErrorCode(err), Msg: err.Error()}, nil)
		}
	}
	if t.ChainID != chainID {
		return result(reject(CodeWrongChain, "tx is for chain %q, this is %q", t.ChainID, chainID), nil)
	}
	if !ok {
		if err := checked.verify(raw, t); err != nil {
			return result(reject(CodeBadSignature, "%v", err), nil)
		}
	}
	if mustNotChangeTx {
		defer func() {
			if !bytes.Equal(t.Encode(), raw) {
				panic(fmt.Sprintf("abci: the %s handler changed its tx, which other executions of the same bytes share", t.Type))
			}
		}()
	}
	signer := t.SignerAddress()
	acct, _ := get[Account](parent, keyAccount(signer))
	switch {
	case t.Nonce <= acct.Nonce:
		return result(reject(CodeNonceStale, "nonce %d already used (last %d)", t.Nonce, acct.Nonce), nil)
	case t.Nonce > acct.Nonce+1:
		return result(reject(CodeNonceFuture, "nonce %d skips ahead (next is %d)", t.Nonce, acct.Nonce+1), nil)
	}
	acct.Nonce = t.Nonce

	ctx := &Context{
		Height: height, Time: blockTime, Checking: checking, Signer: signer, ChainID: chainID, Params: params,
		TxHash: hex.EncodeToString(tx.Hash(raw)),
		st:     newCache(parent), keep: map[string][]byte{},
	}
	ctx.emit("tx", "type", string(t.Type), "signer", string(signer), "nonce", strconv.FormatUint(t.Nonce, 10))
	if err := apply(ctx, t.Body); err != nil {
		// In a block a rejected tx still uses up its nonce, so it cannot
		// be replayed later when state would let it pass. CheckTx keeps
		// the nonce free: the tx never enters the mempool.
		if !checking {
			put(parent, keyAccount(signer), acct)
		}
		for k, v := range ctx.keep {
			parent.set(k, v)
		}
		return result(err, ctx.events[:1])
	}
	put(ctx.st, keyAccount(signer), acct)
	res := result(nil, ctx.events)
	if !checking {
		// The receipt's record: Data commits to the tx's writes (TxData)
		// through the next header's LastResultsHash; Info states them, so
		// verify can recompute Data. CheckTx's answer proves nothing and
		// skips the cost.
		ws := ctx.st.sorted()
		res.Data, res.Info = TxData(ws), string(WritesJSON(ws))
	}
	ctx.st.flush(parent)
	return res
}

// apply dispatches a body to its handler. Each handler validates against
// state and applies in one pass, for CheckTx and FinalizeBlock alike.
func apply(ctx *Context, body tx.Body) error {
	if err := agentMay(ctx, body); err != nil {
		return err
	}
	switch b := body.(type) {
	case *tx.UnitRegister:
		return execUnitRegister(ctx, b)
	case *tx.BindCodeIssue:
		return execBindCodeIssue(ctx, b)
	case *tx.BindCodeBatch:
		return execBindCodeBatch(ctx, b)
	case *tx.MemberBind:
		return execMemberBind(ctx, b)
	case *tx.MemberRevoke:
		return execMemberRevoke(ctx, b)
	case *tx.RoleGrant:
		return execRoleGrant(ctx, b)
	case *tx.RoleRevoke:
		return execRoleRevoke(ctx, b)
	case *tx.ProposalOpen:
		return execProposalOpen(ctx, b)
	case *tx.ProposalAmend:
		return execProposalAmend(ctx, b)
	case *tx.ProposalCancel:
		return execProposalCancel(ctx, b)
	case *tx.PollOpen:
		return execPollOpen(ctx, b)
	case *tx.VoteCast:
		return execVoteCast(ctx, b)
	case *tx.MeetingRequest:
		return execMeetingRequest(ctx, b)
	case *tx.ItemPost:
		return execItemPost(ctx, b)
	case *tx.ItemUpdate:
		return execItemUpdate(ctx, b)
	case *tx.ItemWithdraw:
		return execItemWithdraw(ctx, b)
	case *tx.BookingRequest:
		return execBookingRequest(ctx, b)
	case *tx.BookingAccept:
		return execBookingAccept(ctx, b)
	case *tx.BookingDecline:
		return execBookingDecline(ctx, b)
	case *tx.BookingCancel:
		return execBookingCancel(ctx, b)
	case *tx.BookingReturn:
		return execBookingReturn(ctx, b)
	case *tx.BookingNoShow:
		return execBookingNoShow(ctx, b)
	case *tx.AnnouncementPost:
		return execAnnouncementPost(ctx, b)
	case *tx.CommentPost:
		return execCommentPost(ctx, b)
	case *tx.CommentHide:
		return execCommentHide(ctx, b)
	case *tx.RepairFile:
		return execRepairFile(ctx, b)
	case *tx.RepairUpdate:
		return execRepairUpdate(ctx, b)
	case *tx.RepairConfirm:
		return execRepairConfirm(ctx, b)
	case *tx.RepairReopen:
		return execRepairReopen(ctx, b)
	case *tx.DisputeOpen:
		return execDisputeOpen(ctx, b)
	case *tx.DisputeAssign:
		return execDisputeAssign(ctx, b)
	case *tx.DisputeStatement:
		return execDisputeStatement(ctx, b)
	case *tx.DisputeOutcome:
		return execDisputeOutcome(ctx, b)
	case *tx.DisputeEscalate:
		return execDisputeEscalate(ctx, b)
	case *tx.ValidatorUpdate:
		return execValidatorUpdate(ctx, b)
	case *tx.AccountOpen:
		return execAccountOpen(ctx, b)
	case *tx.AccountThreshold:
		return execAccountThreshold(ctx, b)
	case *tx.EntryRecord:
		return execEntryRecord(ctx, b)
	case *tx.EntryApprove:
		return execEntryApprove(ctx, b)
	case *tx.EntryReverse:
		return execEntryReverse(ctx, b)
	case *tx.EntryWithdraw:
		return execEntryWithdraw(ctx, b)
	case *tx.ProxyAppoint:
		return execProxyAppoint(ctx, b)
	case *tx.ProxyRevoke:
		return execProxyRevoke(ctx, b)
	case *tx.ProxyAccept:
		return execProxyAccept(ctx, b)
	case *tx.SheetIssue:
		return execSheetIssue(ctx, b)
	case *tx.SheetEnter:
		return execSheetEnter(ctx, b)
	case *tx.SheetVoid:
		return execSheetVoid(ctx, b)
	}
	// tx.Decode only returns known types, so this is a programming error
	// that must not split nodes: every node rejects the same way.
	return reject(CodeUnknownType, "no handler for %s", body.Type())
}

func result(err error, events []abcitypes.Event) *abcitypes.ExecTxResult {
	if err == nil {
		return &abcitypes.ExecTxResult{Code: uint32(CodeOK), Events: events}
	}
	var e *Error
	if !errors.As(err, &e) {
		// Handlers return only *Error; anything else is a bug, reported
		// deterministically rather than crashing the node.
		e = &Error{Code: CodeMalformed, Msg: err.Error()}
	}
	return &abcitypes.ExecTxResult{Code: uint32(e.Code), Log: e.Msg, Codespace: "linli", Events: events}
}
