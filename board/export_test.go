package board

// Yuan is yuan, for the tests that compare pages with the ledger.
var Yuan = yuan
