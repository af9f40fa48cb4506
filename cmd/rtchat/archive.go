package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

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

// archivedBackend is the window's backend with a local archive kept: the
// client's events pass through the archive's keeper on their way to the
// window, and leaving a conversation tells it too.
type archivedBackend struct {
	*chat.Client
	events <-chan chat.Event
	keeper *archive.Keeper
}

// keepArchive starts keeping a for client until ctx ends (wg waits for
// it); the window reads the backend it returns.
func keepArchive(ctx context.Context, wg *sync.WaitGroup, client *chat.Client, a *archive.Archive, log *slog.Logger) archivedBackend {
	k := archive.NewKeeper(a, client, log)
	b := archivedBackend{Client: client, events: k.Watch(ctx, client.Events()), keeper: k}
	wg.Go(func() {
		// What was taken from the person while no window of theirs ran
		// goes first.
		if err := archive.Reconcile(ctx, a, client); err != nil {
			log.Info("local archive", "err", err)
		}
		k.Run(ctx)
	})
	return b
}

// Events are the client's, once the keeper saw them.
func (b archivedBackend) Events() <-chan chat.Event { return b.events }

// Leave leaves channel, and the archive stops growing it.
func (b archivedBackend) Leave(ctx context.Context, channel string) error {
	if err := b.Client.Leave(ctx, channel); err != nil {
		return err
	}
	b.keeper.Unfollow(ctx, channel)
	return nil
}

// indexOf is a as a chat.Index (nil when there is none: an interface
// holding a nil pointer is not nil).
func indexOf(a *archive.Archive) chat.Index {
	if a == nil {
		return nil
	}
	return a
}
