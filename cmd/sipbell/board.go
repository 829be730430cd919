package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/provisioning"
)

// hardware is the opened board and its event pump, which logs every input
// and hands it to subscribers.
type hardware struct {
	b   *board.Board
	log *slog.Logger

	mu   sync.Mutex
	subs []chan board.Event
}

// openBoard opens the configured board.
func openBoard(cfg provisioning.File, log *slog.Logger, opts ...board.Option) (*hardware, error) {
	b, err := board.Open(cfg.Board, log.With("component", "board"), opts...)
	if err != nil {
		return nil, err
	}
	return &hardware{b: b, log: log}, nil
}

// subscribe returns a channel that receives every board event.
func (h *hardware) subscribe(buf int) <-chan board.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan board.Event, buf)
	h.subs = append(h.subs, c)
	return c
}

// pump logs each input event (at debug level) and passes it on to the
// subscribers.
func (h *hardware) pump(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-h.b.Events():
			if !ok { // the board was closed
				return nil
			}
			// Debug: the door station logs what an input does ("button
			// pressed: calling", "door contact open"), once.
			h.log.Debug("input", "role", string(ev.Role), "index", ev.Index, "event", ev.Kind.String())
			h.mu.Lock()
			for _, c := range h.subs {
				select {
				case c <- ev:
				default:
					h.log.Warn("input dropped: consumer too slow", "role", string(ev.Role))
				}
			}
			h.mu.Unlock()
		}
	}
}

func (h *hardware) close() { _ = h.b.Close() }

func listenTCP(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// serveHTTP serves handler on ln until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler) error {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
