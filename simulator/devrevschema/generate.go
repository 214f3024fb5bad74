package devrevschema

// DevRev's OpenAPI excerpts (devrev/fern-api-docs at 7da689d; see derive.go)
// are not part of the repository: -in names the directory that holds them.
//go:generate go run derive.go -in /work/shared/reference -out devrev-webhooks.schema.json
