package abci

import (
	"errors"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

// emptyStore is committed state with nothing in it.
type emptyStore struct{}

func (emptyStore) get(string) ([]byte, bool)              { return nil, false }
func (emptyStore) scan(string, func(string, []byte) bool) {}

// ledgerContext is a handler context at block time 1000 over a state
// holding only the genesis accounts.
func ledgerContext() *Context {
	ctx := &Context{Height: 7, Time: 1000, Params: DefaultParams(), st: newCache(emptyStore{}), keep: map[string][]byte{}}
	writeGenesisAccounts(ctx.st, ctx.Params)
	return ctx
}

// TestPostRejectsTotalsPastTheBound reaches a state no test could build
// with real entries in reasonable time: a month's income total near
// MaxBalance while the balance is small (money came in and went out again
// many times). One more income must be refused, though the balance has
// room.
func TestPostRejectsTotalsPastTheBound(t *testing.T) {
	month := MonthOf(1000)
	for _, tt := range []struct {
		name  string
		seed  func(ctx *Context)
		delta int64
		want  Code
	}{
		{"ErrMonthTotalPastBound", func(ctx *Context) {
			put(ctx.st, keyAccountMonth("mgmt", month), AccountMonth{Account: "mgmt", Month: FormatMonth(month), Income: MaxBalance - 5})
		}, 6, CodeBalanceOverflow},
		{"ErrCategoryTotalPastBound", func(ctx *Context) {
			put(ctx.st, keyCategoryTotal(month, "mgmt", FlowIncome, "物业费"), CategoryTotal{Account: "mgmt", Flow: FlowIncome, Category: "物业费", Amount: MaxBalance - 5})
		}, 6, CodeBalanceOverflow},
		{"UpToTheBound", func(ctx *Context) {
			put(ctx.st, keyCategoryTotal(month, "mgmt", FlowIncome, "物业费"), CategoryTotal{Account: "mgmt", Flow: FlowIncome, Category: "物业费", Amount: MaxBalance - 5})
		}, 5, CodeOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ledgerContext()
			tt.seed(ctx)
			e := Entry{ID: 1, Kind: tx.EntryIncome, Account: "mgmt", Amount: tt.delta, Category: "物业费"}
			err := post(ctx, &e, movesOf(e.Kind, e.Account, "", e.Amount))
			var got Code
			var re *Error
			if errors.As(err, &re) {
				got = re.Code
			}
			if got != tt.want {
				t.Errorf("post: %v, want code %v", err, tt.want)
			}
		})
	}
}
