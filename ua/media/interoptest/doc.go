// Package interoptest holds ua/media's tests against real SIP peers
// (baresip from Debian's baresip-core), using only the media package's
// exported API and plain sipgo signalling. It has no non-test code.
package interoptest
