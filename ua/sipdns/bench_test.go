package sipdns

import (
	"context"
	"testing"
)

// BenchmarkResolve: one RFC 3263 resolution of pbx.test (NAPTR, two SRV
// sets, four addresses) from the cache, and with every query sent to an
// in-process DNS server over loopback UDP (TTL 0: nothing is cached).
func BenchmarkResolve(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  uint32
	}{{"cached", 60}, {"uncached", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			z := testZone()
			z.ttl = bc.ttl
			f := startFake(b, z)
			r, err := New(Options{Server: f.addr})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if hops, err := r.Resolve(ctx, Query{Host: "pbx.test"}); err != nil || len(hops) != 4 {
					b.Fatalf("Resolve = %v, %v", hops, err)
				}
			}
		})
	}
}
