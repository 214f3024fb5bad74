package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/simulator/event"
)

// catalogJSON is the document `revhook catalog --json` prints.
type catalogJSON struct {
	Requirements []features.Requirement `json:"requirements"`
	EventTypes   []string               `json:"event_types"`
}

func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("catalog", "catalog [--json]", stderr)
	asJSON := fs.Bool("json", false, "print {\"requirements\": [...], \"event_types\": [...]} for machines")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	doc := catalogJSON{Requirements: features.Requirements(), EventTypes: event.Types()}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "revhook catalog: %v\n", err)
			return exitInternal
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "Requirements (%d) — docs/protocol.md §2; MUST fails a check, SHOULD warns, INFO informs\n\n", len(doc.Requirements))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, r := range doc.Requirements {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Level, r.Title)
		fmt.Fprintf(tw, "\t\t  %s\n", r.Text)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "\nEvent types (%d)\n\n", len(doc.EventTypes))
	for _, t := range doc.EventTypes {
		fmt.Fprintln(stdout, t)
	}
	return exitOK
}
