package main

import "testing"

// TestGOMAXPROCSDefault (issue 16): the sipbell binary runs on one P
// unless GOMAXPROCS in its environment says otherwise, and logs what is
// in force when it starts.
func TestGOMAXPROCSDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  string
		want float64
	}{
		{"GOMAXPROCS=", 1},
		{"GOMAXPROCS=3", 3},
	} {
		p := start(t, []string{tc.env})
		if got := p.await(t, "starting")["gomaxprocs"]; got != tc.want {
			t.Errorf("%s: gomaxprocs %v, want %v", tc.env, got, tc.want)
		}
		p.await(t, "sip listening")
		if code := p.stop(t); code != 0 {
			t.Errorf("%s: exit code %d", tc.env, code)
		}
	}
}
