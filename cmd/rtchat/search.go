package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rtchat/rtchat/archive"
	"github.com/rtchat/rtchat/chat"
)

// runSearch searches every conversation the user may read ("rtchat
// search QUERY").
func runSearch(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("search", "[flags] QUERY…", `Search every conversation you may read, newest first: words (all of them), "phrases", from:NAME, in:#CHANNEL or in:@PERSON, before:DATE, after:DATE, on:DATE (2026-11-01, today, yesterday), has:link, has:file, is:thread.`, std.err)
	f.register(fs)
	n := fs.Int("n", 20, "how many messages to print at most")
	asJSON := fs.Bool("json", false, `print one JSON object a line, as tail --json does (docs/TAIL-JSON.md)`)
	pos, err := parseN(fs, args, 1, 1<<10)
	if err != nil {
		return err
	}
	if *n < 1 || *n > 100000 {
		return fmt.Errorf("-n %d is out of range; use 1 to 100000", *n)
	}
	q, err := chat.ParseQuery(strings.Join(pos, " "), time.Now())
	if err != nil {
		return fmt.Errorf("%w (rtchat search --help lists the filters)", err)
	}
	f.archive = true
	s, err := openSession(ctx, &f, std, nil)
	var gone noAnswer
	if errors.As(err, &gone) {
		// Redis does not answer: the local archive alone, if there is one.
		cfg, cerr := f.load()
		if a := openArchive(cfg, false, nil); cerr == nil && a != nil {
			defer a.Close()
			fmt.Fprintf(std.err, "rtchat: %v\nrtchat: searching your local archive alone: what it kept, its signatures not checked\n", gone.error)
			return searchArchive(ctx, a, q, *n, *asJSON, std)
		}
	}
	if err != nil {
		return err
	}
	defer s.close()
	var cur chat.SearchCursor
	for left := *n; left > 0; {
		res, err := s.client.SearchEverywhere(ctx, q, cur, min(left, 100))
		if err != nil {
			return err
		}
		verified := make([]bool, len(res.Hits))
		if !res.Offline {
			if verified, _, err = s.client.VerifyNow(ctx, res.Hits...); err != nil {
				return err
			}
		}
		if err := printHits(std, res.Hits, verified, *asJSON); err != nil {
			return err
		}
		left -= len(res.Hits)
		if res.Done {
			break
		}
		cur = res.Next
	}
	return nil
}

// printHits prints search hits, each with its conversation.
func printHits(std stdio, hits []chat.Message, verified []bool, asJSON bool) error {
	for i, m := range hits {
		var err error
		if asJSON {
			err = printMessage(std.out, m, verified[i], true)
		} else {
			_, err = fmt.Fprintf(std.out, "%s %s\n", chat.Display(m.Channel), plainOf(m, verified[i]))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// searchArchive prints up to n hits of q from the local archive alone.
func searchArchive(ctx context.Context, a *archive.Archive, q chat.Query, n int, asJSON bool, std stdio) error {
	convs := chat.Narrow(a.Conversations(), q.In)
	var below chat.IndexMark
	for left := n; left > 0; {
		hits, err := a.Search(ctx, q, convs, below, min(left, 100))
		if err != nil {
			return err
		}
		if err := printHits(std, hits, make([]bool, len(hits)), asJSON); err != nil {
			return err
		}
		if len(hits) < min(left, 100) {
			return nil
		}
		left -= len(hits)
		below = chat.MarkOf(hits[len(hits)-1])
	}
	return nil
}

// runExport writes a conversation from Redis, oldest first ("rtchat
// export CHANNEL").
func runExport(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("export", "[flags] CHANNEL|@PERSON", "Write a conversation's messages from Redis, oldest first, as they read now (edits applied, deleted ones left out), with their threads' replies; from your local archive with --archive, or when Redis does not answer.", std.err)
	f.register(fs)
	format := fs.String("format", "text", "text (as tail prints) or json (one object a line, as tail --json)")
	fromArchive := fs.Bool("archive", false, "write it from your local archive, not from Redis (also what Redis trimmed away; signatures not checked)")
	since := fs.String("since", "", "only messages from this `DATE` on (2026-11-01, today, yesterday)")
	pos, err := parseN(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format %q: use text or json", *format)
	}
	var from time.Time
	if *since != "" {
		q, err := chat.ParseQuery("on:"+*since, time.Now())
		if err != nil {
			return fmt.Errorf("--since %q is not a date; write it as 2026-11-01 (or today, yesterday)", *since)
		}
		from = q.After
	}
	channel := strings.TrimPrefix(pos[0], "#")
	if err := chat.ValidateConv(channel); err != nil {
		return fmt.Errorf("channel name (or @person): %w", err)
	}
	if *fromArchive {
		return exportArchive(ctx, &f, channel, from, *format == "json", std)
	}
	s, err := openSession(ctx, &f, std, nil)
	var gone noAnswer
	if errors.As(err, &gone) {
		if e := exportArchive(ctx, &f, channel, from, *format == "json", std); e == nil {
			fmt.Fprintf(std.err, "rtchat: %v\nrtchat: written from your local archive: what it kept, its signatures not checked\n", gone.error)
			return nil
		}
	}
	if err != nil {
		return err
	}
	defer s.close()
	if channel, err = s.client.Resolve(ctx, channel); err != nil {
		return err
	}
	if _, err := s.client.Channel(ctx, channel); err != nil {
		return noChannel(channel, err)
	}
	// Pages come newest first; written oldest first.
	var pages [][]chat.Message
	for before := (chat.ID{}); ; {
		p, err := s.client.History(ctx, channel, before)
		if err != nil {
			return err
		}
		pages = append(pages, p.Messages)
		if !p.More || len(p.Messages) == 0 || (!from.IsZero() && p.Messages[0].Time.Before(from)) {
			break
		}
		before = p.Messages[0].ID
	}
	for i := len(pages) - 1; i >= 0; i-- {
		msgs := pages[i]
		verified, _, err := s.client.VerifyNow(ctx, msgs...)
		if err != nil {
			return err
		}
		for j, m := range msgs {
			if m.Time.Before(from) || (m.State != nil && m.State.Deleted != nil) {
				continue
			}
			if err := printMessage(std.out, m, verified[j], *format == "json"); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportArchive writes channel from the person's local archive, oldest
// first.
func exportArchive(ctx context.Context, f *commonFlags, channel string, since time.Time, asJSON bool, std stdio) error {
	cfg, err := f.load()
	if err != nil {
		return err
	}
	a := openArchive(cfg, false, nil)
	if a == nil {
		return fmt.Errorf("there is no local archive of %s for %s here; run rtchat once to keep one (archive = true)", cfg.Server(), cfg.User)
	}
	defer a.Close()
	conv, ok := chat.Among(a.Conversations(), channel)
	if !ok {
		return fmt.Errorf("your local archive holds nothing of %s; export it from Redis (leave out --archive)", chat.Display(channel))
	}
	return a.Each(ctx, conv, since, func(m chat.Message) error { return printMessage(std.out, m, false, asJSON) })
}
