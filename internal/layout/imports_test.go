package layout

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/rtchat/rtchat"

// golist asks the go command for one template over pkg.
func golist(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, module+"/"+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(strings.Trim(strings.TrimSpace(string(out)), "[]"))
}

// The one-way rules of docs/DESIGN.md, "Layout".
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	// chat knows nothing of the terminal: not even indirectly.
	for _, dep := range golist(t, "{{.Deps}}", "chat") {
		for _, banned := range []string{"github.com/rivo/tview", "github.com/gdamore/tcell", module + "/ui", module + "/config", module + "/cmd"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("chat depends on %s", dep)
			}
		}
	}
	// ui makes no Redis call: it imports no Redis client (it reaches Redis
	// only through its Backend).
	for _, imp := range golist(t, "{{.Imports}}", "ui") {
		if strings.HasPrefix(imp, "github.com/redis/") || strings.HasPrefix(imp, "github.com/alicebob/") {
			t.Errorf("ui imports %s", imp)
		}
	}
	// config may use chat's rules and keymap, nothing else of rtchat.
	for _, imp := range golist(t, "{{.Imports}}", "config") {
		if strings.HasPrefix(imp, module+"/") && !slices.Contains([]string{module + "/chat", module + "/keymap"}, imp) {
			t.Errorf("config imports %s", imp)
		}
	}
	// keymap and themes stand alone.
	for _, pkg := range []string{"keymap", "themes"} {
		for _, imp := range golist(t, "{{.Imports}}", pkg) {
			if strings.HasPrefix(imp, module+"/") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}
