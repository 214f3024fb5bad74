package main

import (
	"context"
	"fmt"
	"io"
)

// TODO(owner of 'catalog'): replace this placeholder.
func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "revhook catalog: not implemented yet")
	return exitInternal
}
