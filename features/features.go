// Package features holds the receiver conformance catalogue of revhook: the
// requirement table of docs/protocol.md §2 (Requirements, Lookup) and the Gherkin
// feature files that check each requirement over HTTP, embedded so that
// `revhook check` needs no checkout.
//
// Every scenario is tagged with the requirement it checks and that
// requirement's level, e.g. `@SIG-02 @must`. The files read as the protocol's
// documentation; the step definitions that run them live in package steps.
// Scenarios under features/sender/ describe the mock sender, not a receiver,
// and are not part of this catalogue.
package features

import (
	"embed"
	"io/fs"
)

//go:embed *.feature
var files embed.FS

// Files returns the receiver catalogue's feature files, in catalogue order
// (verify, signature, replay, ack, duplicates, ordering, forward, robustness,
// transport). Paths are relative to FS.
func Files() []string {
	return []string{
		"verify.feature",
		"signature.feature",
		"replay.feature",
		"ack.feature",
		"duplicates.feature",
		"ordering.feature",
		"forward.feature",
		"robustness.feature",
		"transport.feature",
	}
}

// FS returns a read-only file system holding the receiver catalogue's
// feature files at its root.
func FS() fs.FS { return files }
