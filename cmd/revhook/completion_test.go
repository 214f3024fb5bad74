package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// completionScript returns `revhook completion SHELL`.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errs := revhook(context.Background(), "completion", shell)
	require.Equal(t, exitOK, code, errs)
	require.Empty(t, errs)
	return out
}

// TestCompletionCoversEveryCommandAndFlag checks each script names every
// command and every flag of every command, as read from the flag sets.
func TestCompletionCoversEveryCommandAndFlag(t *testing.T) {
	cmds := completionCommands(context.Background())
	require.Len(t, cmds, len(commands()))
	flagForm := map[string]func(string) string{
		"bash": func(f string) string { return " --" + f },
		"zsh":  func(f string) string { return "--" + f + "[" },
		"fish": func(f string) string { return " -l " + f + " " },
	}
	for _, shell := range completionShells() {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			for _, c := range cmds {
				assert.Contains(t, script, c.name)
				if len(c.words) == 0 {
					require.NotEmpty(t, c.flags, "%s has flags", c.name)
				}
				for _, w := range c.words {
					assert.Contains(t, script, w)
				}
				for _, f := range c.flags {
					assert.Contains(t, script, flagForm[shell](f.name), "%s --%s", c.name, f.name)
				}
			}
			assert.Contains(t, script, "auto hex base64", "choice values are offered")
			assert.Contains(t, script, "must warn")
		})
	}
	check := cmds[0]
	require.Equal(t, "check", check.name)
	for _, f := range check.flags {
		switch f.name {
		case "quiet", "verbose", "list", "insecure":
			assert.False(t, f.takesValue, f.name)
		case "encoding":
			assert.Equal(t, []string{"auto", "hex", "base64"}, f.choices)
		case "fail-on":
			assert.Equal(t, []string{"must", "warn"}, f.choices)
		default:
			assert.True(t, f.takesValue, f.name)
		}
	}
}

func TestCompletionUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		code, out, errs := revhook(context.Background(), args...)
		assert.Equal(t, exitUsage, code, args)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errs, "\n"), errs)
	}
	_, _, errs := revhook(context.Background(), "completion", "bsh")
	assert.Contains(t, errs, "(did you mean bash?)")
}

// TestBashCompletionCompletes loads the bash script and asks it for
// completions as bash would.
func TestBashCompletionCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(t.TempDir(), "revhook.bash")
	require.NoError(t, os.WriteFile(script, []byte(completionScript(t, "bash")), 0o644))
	require.NoError(t, exec.Command(bash, "-n", script).Run(), "syntax")
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"revhook", "ch"}, "check"},
		{[]string{"revhook", "c"}, "check catalog completion"},
		{[]string{"revhook", "check", "--enc"}, "--encoding"},
		{[]string{"revhook", "check", "--encoding", ""}, "auto hex base64"},
		{[]string{"revhook", "check", "--fail-on", "w"}, "warn"},
		{[]string{"revhook", "check", "--report", "markdown"}, "markdown= markdown-summary="},
		{[]string{"revhook", "check", "--url", ""}, ""},
		{[]string{"revhook", "send", "--cou"}, "--count"},
		{[]string{"revhook", "help", "rec"}, "receiver"},
		{[]string{"revhook", "completion", ""}, "bash zsh fish"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			quoted := make([]string, len(tt.words))
			for i, w := range tt.words {
				quoted[i] = "'" + w + "'"
			}
			prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
				strings.TrimSpace(string(rune('0'+len(tt.words)-1))) + `; _revhook; echo "${COMPREPLY[*]}"`
			out, err := exec.Command(bash, "--norc", "--noprofile", "-c", prog).CombinedOutput()
			require.NoError(t, err, string(out))
			assert.Equal(t, tt.want, strings.TrimSpace(string(out)))
		})
	}
}

// TestZshAndFishScriptsParse checks the scripts' syntax where the shells
// are installed.
func TestZshAndFishScriptsParse(t *testing.T) {
	for _, shell := range []string{"zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s is not installed", shell)
			}
			script := filepath.Join(t.TempDir(), "revhook."+shell)
			require.NoError(t, os.WriteFile(script, []byte(completionScript(t, shell)), 0o644))
			out, err := exec.Command(bin, "-n", script).CombinedOutput()
			assert.NoError(t, err, string(out))
		})
	}
}

// TestFishCompletionCompletes asks fish for completions with the script
// loaded, where fish is installed.
func TestFishCompletionCompletes(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish is not installed")
	}
	script := filepath.Join(t.TempDir(), "revhook.fish")
	require.NoError(t, os.WriteFile(script, []byte(completionScript(t, "fish")), 0o644))
	tests := map[string][]string{
		"revhook check --enc":       {"--encoding"},
		"revhook check --encoding ": {"auto", "base64", "hex"},
		"revhook ch":                {"check"},
		"revhook completion ":       {"bash", "fish", "zsh"},
	}
	for line, want := range tests {
		out, err := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C '"+line+"'").CombinedOutput()
		require.NoError(t, err, string(out))
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		assert.Equal(t, want, got, line)
	}
}
