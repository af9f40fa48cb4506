package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/config"
)

func TestLogFileDefaultAndLevels(t *testing.T) {
	isolate(t)
	cfg, err := config.Load(config.Flags{}, config.Source{})
	if err != nil {
		t.Fatal(err)
	}
	state := os.Getenv("XDG_STATE_HOME")
	if want := filepath.Join(state, "rtchat", "rtchat.log"); cfg.LogFile != want {
		t.Fatalf("default log file %s, want %s", cfg.LogFile, want)
	}
	for level, want := range map[string][]string{
		"info":  {"level=INFO", "level=WARN"},
		"warn":  {"level=WARN"},
		"debug": {"level=DEBUG", "level=INFO", "level=WARN"},
	} {
		cfg.LogFile = filepath.Join(t.TempDir(), "sub", "rtchat.log")
		cfg.LogLevel = level
		log, closeLog := openLog(cfg, io.Discard)
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		closeLog()
		b, err := os.ReadFile(cfg.LogFile)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		if n := strings.Count(got, "level="); n != len(want) {
			t.Errorf("log_level %s wrote %d lines, want %d:\n%s", level, n, len(want), got)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("log_level %s: no %s line", level, w)
			}
		}
	}
}
