package main

import "os"

// envSecret returns REVHOOK_SECRET, the fallback for every --secret flag.
func envSecret() string { return os.Getenv("REVHOOK_SECRET") }

// secretOrEnv returns the --secret value, or REVHOOK_SECRET when the flag is
// empty, and where it came from ("--secret" or "REVHOOK_SECRET").
func secretOrEnv(flagValue string) (secret, from string) {
	if flagValue != "" {
		return flagValue, "--secret"
	}
	return envSecret(), "REVHOOK_SECRET"
}
