package board

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// boardGoroutines returns the stacks of goroutines running code of this
// package, other than the calling test.
func boardGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sipbell/board.") && !strings.Contains(g, "TestNoGoroutineLeft") &&
			!strings.Contains(g, "testing.(*T).Parallel") { // paused parallel tests

			out = append(out, g)
		}
	}
	return out
}

// TestNoGoroutineLeft is not parallel: it runs before the parallel tests
// start, so every goroutine of this package it sees is its own.
func TestNoGoroutineLeft(t *testing.T) {
	b := openSim(t)
	srv := httptest.NewServer(b.Sim().Handler())
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- b.Sim().RunTerminal(context.Background(), inR, io.Discard) }()
	if _, err := io.WriteString(inW, "1\nd\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL+"/press", "application/json", strings.NewReader(`{"index":1}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := boardGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left after Close:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}
