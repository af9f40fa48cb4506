package ui_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/ui"
)

// TestREADMEHelpMatchesTheWindow checks that the README's keys and commands
// are what /help shows: both come from the command table and the key map.
// go test ./ui -update rewrites the README's part.
func TestREADMEHelpMatchesTheWindow(t *testing.T) {
	const path, begin, end = "../README.md", "<!-- help:begin -->\n", "<!-- help:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("the README has no %q … %q section", begin, end)
	}
	want := ui.HelpMarkdown(nil)
	got := readme[i+len(begin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("the README's keys and commands differ from /help (run go test ./ui -update):\n--- README ---\n%s\n--- /help ---\n%s", got, want)
}
