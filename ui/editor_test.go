package ui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEditorCommandFromTheEnvironment: $VISUAL wins over $EDITOR, a blank
// one counts as unset (no panic), and a failing editor says what to set.
func TestEditorCommandFromTheEnvironment(t *testing.T) {
	for _, p := range []string{"true", "false"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not on PATH", p)
		}
	}
	t.Setenv("VISUAL", "   ")
	t.Setenv("EDITOR", "true")
	if err := runEditorCommand(t.TempDir() + "/m.md"); err != nil {
		t.Fatalf("a blank VISUAL and EDITOR=true: %v", err)
	}
	t.Setenv("VISUAL", "false")
	err := runEditorCommand(t.TempDir() + "/m.md")
	if err == nil || !strings.Contains(err.Error(), "set VISUAL or EDITOR") {
		t.Fatalf("VISUAL=false: %v, want an error that says what to set", err)
	}
}
