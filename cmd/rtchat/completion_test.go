package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/internal/redistest"
)

// The bash script completes commands, a command's own flags and channel
// names (from "rtchat channels --names", here a stand-in on PATH), in a
// real bash.
func TestCompletionBash(t *testing.T) {
	isolate(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	code, script, errs := rtchat(t, "", "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: exit %d: %s", code, errs)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "rtchat.bash")
	stub := filepath.Join(dir, "rtchat")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n[ \"$1 $2\" = \"channels --names\" ] && printf 'general\\ngames\\nops\\n'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		line := fmt.Sprintf("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _rtchat; echo \"${COMPREPLY[*]}\"", file, strings.Join(words, " "), len(words)-1)
		cmd := exec.Command(bash, "--norc", "-c", line)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := complete("rtchat", "se"); got != "send search serve" {
		t.Errorf("rtchat se<Tab> = %q", got)
	}
	if got := complete("rtchat", "tail", "--j"); got != "--json" {
		t.Errorf("rtchat tail --j<Tab> = %q", got)
	}
	if got := complete("rtchat", "send", "g"); got != "general games" {
		t.Errorf("rtchat send g<Tab> = %q", got)
	}
	if got := complete("rtchat", "completion", "f"); got != "fish" {
		t.Errorf("rtchat completion f<Tab> = %q", got)
	}
	for _, shell := range []string{"zsh", "fish"} {
		code, script, _ := rtchat(t, "", "completion", shell)
		if code != 0 || !strings.Contains(script, "channels --names") || !strings.Contains(script, "tail") {
			t.Errorf("completion %s: exit %d:\n%s", shell, code, script)
		}
	}
	if code, _, _ := rtchat(t, "", "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
}

// channels --names prints one name a line, for the completion scripts.
func TestChannelsNames(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	for _, ch := range []string{"general", "ops"} {
		if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), ch, "hi"); code != 0 {
			t.Fatal(errs)
		}
	}
	code, out, errs := rtchat(t, "", "channels", "--names", "--redis", srv.URL())
	if code != 0 || out != "general\nops\n" {
		t.Fatalf("channels --names: exit %d, %q, %s", code, out, errs)
	}
}
