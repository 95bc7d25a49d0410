package abci

// Every tx the package's tests run is checked to leave its decoded form
// unchanged (see mustNotChangeTx).
func init() { mustNotChangeTx = true }
