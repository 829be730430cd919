package main

import "testing"

// TestGOMAXPROCSDefault (issue 16): the sipbell binary runs on one P and
// with a 64 MiB soft memory limit unless GOMAXPROCS or GOMEMLIMIT in its
// environment says otherwise, and logs what is in force when it starts.
func TestGOMAXPROCSDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env        []string
		procs, mib float64
	}{
		{[]string{"GOMAXPROCS=", "GOMEMLIMIT="}, 1, 64},
		{[]string{"GOMAXPROCS=3", "GOMEMLIMIT=200MiB"}, 3, 200},
	} {
		p := start(t, tc.env)
		started := p.await(t, "starting")
		if got := started["gomaxprocs"]; got != tc.procs {
			t.Errorf("%s: gomaxprocs %v, want %v", tc.env, got, tc.procs)
		}
		if got := started["memlimit_mib"]; got != tc.mib {
			t.Errorf("%s: memlimit_mib %v, want %v", tc.env, got, tc.mib)
		}
		p.await(t, "sip listening")
		if code := p.stop(t); code != 0 {
			t.Errorf("%s: exit code %d", tc.env, code)
		}
	}
}
