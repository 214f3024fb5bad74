package report

import (
	"encoding/json"
	"io"
)

// writeJSON renders the report as REPORT.md §2: schema revhook.report/v1,
// indented by two spaces, HTML characters left unescaped so that bodies and
// curl commands read as sent.
func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
