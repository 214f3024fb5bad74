package mockapi

// CheckDevRevSchema validates an answer of DevRev's webhooks API against
// DevRev's schema (checkDevRevSchema), for the external test package.
func CheckDevRevSchema(method, path string, status int, body []byte) error {
	return checkDevRevSchema(method, path, status, body)
}
