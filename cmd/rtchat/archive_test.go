package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/redistest"
)

// The window keeps a local archive (owner-only, in the state folder); a
// search and an export read it when Redis does not answer.
func TestArchiveFromTheWindowToTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	for _, text := range []string{"first of the day", "the zanzibar rollout starts", "lunch?", "zanzibar is done"} {
		if code, _, errs := rtchat(t, "", "send", "--redis", url, "--user", "alice", "general", text); code != 0 {
			t.Fatal(errs)
		}
	}
	screen := &snapScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	screen.SetSize(100, 30)
	done := make(chan error, 1)
	go func() {
		done <- runChatOn(context.Background(), []string{"--redis", url}, stdio{in: strings.NewReader(""), out: &strings.Builder{}, err: &strings.Builder{}}, screen)
	}()
	redistest.Eventually(t, 15*time.Second, "the window to connect", func() error {
		if txt := screen.shown(); !strings.Contains(txt, "zanzibar is done") {
			return errors.New(txt)
		}
		return nil
	})
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "rtchat", "archive-*-tester.db"))
	if len(files) != 1 {
		t.Fatalf("archive files: %v", files)
	}
	// The window's own search says where the hits came from.
	for _, r := range "/search zanzibar" {
		screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	redistest.Eventually(t, 15*time.Second, "the search to come from the archive", func() error {
		if txt := screen.shown(); !strings.Contains(txt, "2 found in 0 messages of 1 conversation and the local archive") {
			return errors.New(txt)
		}
		return nil
	})
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	for _, r := range "/quit" {
		screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("/quit did not return")
	}
	fi, err := os.Stat(files[0])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive file: %v %v", fi.Mode(), err)
	}

	srv.Kill()
	code, out, errs := rtchat(t, "", "search", "--redis", url, "zanzibar")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasSuffix(lines[0], "alice: zanzibar is done") || !strings.Contains(errs, "searching your local archive alone") {
		t.Fatalf("search without Redis: %d %q %q", code, out, errs)
	}
	code, out, errs = rtchat(t, "", "export", "--redis", url, "general")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasSuffix(lines[0], "alice: first of the day") || !strings.Contains(errs, "written from your local archive") {
		t.Fatalf("export without Redis: %d %q %q", code, out, errs)
	}
	if code, _, errs := rtchat(t, "", "export", "--redis", url, "--archive", "ops"); code == 0 || !strings.Contains(errs, "holds nothing of #ops") {
		t.Fatalf("export --archive of a channel not kept: %d %q", code, errs)
	}
}

// archive = false keeps none: nothing is made in the state folder.
func TestArchiveOff(t *testing.T) {
	isolate(t)
	cfgFile := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfgFile, []byte("archive = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := commonFlags{config: cfgFile}
	cfg, err := f.load()
	if err != nil {
		t.Fatal(err)
	}
	if a := openArchive(cfg, true, nil); a != nil {
		t.Fatal("archive = false opened an archive")
	}
	if files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "rtchat", "archive-*")); len(files) != 0 {
		t.Fatalf("archive = false made %v", files)
	}
	cfg.Archive = true
	a := openArchive(cfg, true, nil)
	if a == nil {
		t.Fatal("archive = true opened none")
	}
	a.Close()
}
