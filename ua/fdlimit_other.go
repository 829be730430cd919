//go:build !unix

package ua

// fdLimit returns 0: the descriptor limit is not known here.
func fdLimit() int { return 0 }
