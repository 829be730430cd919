//go:build race

package media

// raceBuild: the race detector drops sync.Pool items, so allocation counts mean nothing.
const raceBuild = true
