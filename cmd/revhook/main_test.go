package main

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpConventions checks, for every command, that `revhook help CMD`,
// `revhook CMD --help` and `revhook CMD -h` print the command's own help on
// stdout and exit 0, with nothing on stderr.
func TestHelpConventions(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var want string
			for _, args := range [][]string{
				{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}, {c.name, "-help"},
				{c.name, "--no-such-flag", "--help"}, // help wins over a parse error
			} {
				code, out, errs := revhook(context.Background(), args...)
				assert.Equal(t, exitOK, code, args)
				assert.Empty(t, errs, args)
				assert.True(t, strings.HasPrefix(out, "Usage: revhook "+c.name), "%v: %q", args, out)
				if want == "" {
					want = out
				}
				assert.Equal(t, want, out, "%v prints the same help", args)
			}
			assert.Contains(t, want, "Flags:\n")
		})
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errs := revhook(context.Background(), args...)
		assert.Equal(t, exitOK, code)
		assert.Empty(t, errs)
		assert.Contains(t, out, "Commands:\n")
		for _, c := range commands() {
			assert.Contains(t, out, "  "+c.name+" ")
		}
	}
}

// TestUsageErrorConventions checks, for every command, that an unknown flag,
// a mistyped flag, a flag without its value and a stray argument each print
// exactly one line on stderr naming the command's help, exit 2, and print
// nothing on stdout.
func TestUsageErrorConventions(t *testing.T) {
	for _, c := range commands() {
		fs := commandFlags(context.Background(), c)
		require.NotNil(t, fs, c.name)
		var first, valued string
		fs.VisitAll(func(f *flag.Flag) {
			if first == "" && len(f.Name) > 3 {
				first = f.Name
			}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); valued == "" && !(ok && b.IsBoolFlag()) {
				valued = f.Name
			}
		})
		cases := map[string]struct {
			args []string
			want string
		}{
			"unknown flag": {[]string{"--no-such-flag"}, "unknown flag --no-such-flag"},
			"stray args":   {[]string{"one", "two", "three"}, ""}, // each command words it
		}
		if first != "" {
			typo := first[:len(first)-1] + "x" + first[len(first)-1:]
			cases["mistyped flag"] = struct {
				args []string
				want string
			}{[]string{"--" + typo}, "(did you mean --" + first + "?)"}
		}
		if valued != "" {
			cases["missing value"] = struct {
				args []string
				want string
			}{[]string{"--" + valued}, "--" + valued + " needs a value"}
		}
		for name, tt := range cases {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				code, out, errs := revhook(context.Background(), append([]string{c.name}, tt.args...)...)
				assert.Equal(t, exitUsage, code)
				assert.Empty(t, out)
				assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
				assert.Contains(t, errs, tt.want)
				assert.True(t, strings.HasSuffix(errs, " — see 'revhook "+c.name+" --help'\n"), errs)
			})
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	tests := map[string]string{
		"chek":    `revhook: unknown command "chek" (did you mean check?) — see 'revhook --help'` + "\n",
		"recieve": `(did you mean receiver?)`,
		"catalgo": `(did you mean catalog?)`,
		"xyzzy":   `revhook: unknown command "xyzzy" — see 'revhook --help'` + "\n",
	}
	for cmd, want := range tests {
		code, out, errs := revhook(context.Background(), cmd)
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, out)
		assert.Contains(t, errs, want)
		assert.Equal(t, 1, strings.Count(errs, "\n"))
	}
	code, _, errs := revhook(context.Background(), "help", "chek")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "(did you mean check?)")
}

func TestFlagErrorText(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("url", "", "")
	fs.Bool("quiet", false, "")
	tests := []struct{ in, want string }{
		{"flag provided but not defined: -urll", "unknown flag --urll (did you mean --url?)"},
		{"flag provided but not defined: --zzz", "unknown flag --zzz"},
		{"flag needs an argument: -url", "--url needs a value"},
		{`invalid value "x" for flag -timeout: parse error`, `--timeout: invalid value "x": parse error`},
		{`invalid boolean value "x" for -quiet: parse error`, `--quiet: invalid value "x": parse error`},
		{"something else", "something else"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, flagErrorText(fs, errString(tt.in)))
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestParseFlagsAndArgs(t *testing.T) {
	newFS := func(w *strings.Builder) (*flag.FlagSet, *int) {
		fs := newFlagSet("replay", "replay ID [--exchange N]", w)
		return fs, fs.Int("exchange", 1, "")
	}
	var w strings.Builder
	fs, n := newFS(&w)
	pos, code, done := parseFlagsAndArgs(fs, []string{"SIG-02", "--exchange", "2", "x"})
	assert.False(t, done)
	assert.Zero(t, code)
	assert.Equal(t, []string{"SIG-02", "x"}, pos)
	assert.Equal(t, 2, *n)

	fs, _ = newFS(&w)
	_, code, done = parseFlagsAndArgs(fs, []string{"SIG-02", "--exchang", "2"})
	assert.True(t, done)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "revhook replay: unknown flag --exchang (did you mean --exchange?) — see 'revhook replay --help'\n", w.String())

	w.Reset()
	fs, _ = newFS(&w)
	_, code, done = parseFlagsAndArgs(fs, []string{"SIG-02", "--help"})
	assert.True(t, done)
	assert.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(w.String(), "Usage: revhook replay ID"))
}
