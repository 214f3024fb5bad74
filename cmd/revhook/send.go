package main

import (
	"context"
	"fmt"
	"io"
)

// TODO(owner of 'send'): replace this placeholder.
func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "revhook send: not implemented yet")
	return exitInternal
}
