package main

import (
	"log/slog"
	"os"

	"github.com/rtchat/rtchat/archive"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
)

// archivePath is where cfg's person keeps their local archive of cfg's
// server ("" when there is no state folder).
func archivePath(cfg config.Config) string {
	if cfg.StateDir == "" {
		return ""
	}
	return archive.PathFor(cfg.StateDir, cfg.Server(), cfg.User)
}

// openArchive opens the person's local archive as cfg says: nil when
// archive = false, when there is no folder for it, when create is false
// and there is none yet, or when it cannot be opened (logged: the window
// and the commands work without it, from Redis alone).
func openArchive(cfg config.Config, create bool, log *slog.Logger) *archive.Archive {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := archivePath(cfg)
	if !cfg.Archive || path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil && !create {
		return nil
	}
	a, err := archive.Open(path, cfg.ArchiveMaxBytes)
	if err != nil {
		log.Warn("no local archive", "err", err)
		return nil
	}
	return a
}

// indexOf is a as a chat.Index (nil when there is none: an interface
// holding a nil pointer is not nil).
func indexOf(a *archive.Archive) chat.Index {
	if a == nil {
		return nil
	}
	return a
}
