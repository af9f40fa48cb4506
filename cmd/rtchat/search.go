package main

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	s, err := openSession(ctx, &f, std, nil)
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
		verified, _, err := s.client.VerifyNow(ctx, res.Hits...)
		if err != nil {
			return err
		}
		for i, m := range res.Hits {
			if *asJSON {
				err = printMessage(std.out, m, verified[i], true)
			} else {
				_, err = fmt.Fprintf(std.out, "%s %s\n", chat.Display(m.Channel), plainOf(m, verified[i]))
			}
			if err != nil {
				return err
			}
		}
		left -= len(res.Hits)
		if res.Done {
			break
		}
		cur = res.Next
	}
	return nil
}
