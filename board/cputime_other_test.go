//go:build !linux

package board_test

// threadCPU cannot be read here.
func threadCPU() int64 { return -1 }
