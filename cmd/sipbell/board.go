package main

import (
	"io"
	"log/slog"

	"context"

	"github.com/sipbell/sipbell/provisioning"
)

// hardware is the opened board and the goroutines that serve it.
type hardware struct {
	runs  []func(context.Context) error
	close func()
}

// openBoard opens the configured board. Placeholder until the board
// package lands.
func openBoard(cfg provisioning.File, o options, stdin io.Reader, stdout io.Writer, log *slog.Logger) (*hardware, error) {
	return &hardware{close: func() {}}, nil
}
