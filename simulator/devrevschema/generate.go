package devrevschema

//go:generate go run derive.go -in /work/shared/reference -out devrev-webhooks.schema.json
