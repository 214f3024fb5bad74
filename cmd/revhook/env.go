package main

import "os"

// envSecret returns REVHOOK_SECRET, the fallback for every --secret flag.
func envSecret() string { return os.Getenv("REVHOOK_SECRET") }
