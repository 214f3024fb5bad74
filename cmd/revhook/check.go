package main

import (
	"context"
	"fmt"
	"io"
)

// TODO(owner of 'check'): replace this placeholder.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "revhook check: not implemented yet")
	return exitInternal
}
