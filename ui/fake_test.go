package ui_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// fakeBackend is an in-memory Backend with fixed content, for screens that
// must look the same on every run (golden files, benchmarks).
type fakeBackend struct {
	user   string
	events chan chat.Event
	mu     sync.Mutex
	chans  map[string]*chat.Channel
	msgs   map[string][]chat.Message
	mine   []string
	seq    int
	lastMs map[string]int64
	typed  int // Typing calls
	// verdicts answers Verify (Verified when a message has none).
	verdicts map[chat.ID]chat.Verdict
	settings chat.Settings
	barriers int // sent by barrier
	// drafts are the drafts Send took, in order.
	drafts []chat.Draft
	// files are the files' bytes by file id; sentFiles the file
	// messages SendFile made.
	files     map[string][]byte
	sentFiles []chat.Message
	// commands are the server's slash commands; runs what RunCommand
	// took ("conv /command text").
	commands []chat.ServerCommand
	runs     []string
	// mentions is the mentions inbox; remembered the texts RememberMention
	// took.
	mentions   []chat.Mention
	remembered []string
}

func (f *fakeBackend) MentionInbox(context.Context, int) ([]chat.Mention, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.mentions), nil
}

func (f *fakeBackend) RememberMention(_ context.Context, m chat.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remembered = append(f.remembered, m.Text)
	return nil
}

func (f *fakeBackend) MarkMentionsRead(_ context.Context, upTo time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.mentions {
		if !f.mentions[i].Time.After(upTo) {
			f.mentions[i].Unread = false
		}
	}
	return nil
}

// lastDraft is the newest draft Send took (the zero Draft when none).
func (f *fakeBackend) lastDraft() chat.Draft {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.drafts) == 0 {
		return chat.Draft{}
	}
	return f.drafts[len(f.drafts)-1]
}

// lastText is the text of the newest draft Send took.
func (f *fakeBackend) lastText() string { return f.lastDraft().Text }

func newFakeBackend(user string) *fakeBackend {
	return &fakeBackend{user: user, events: make(chan chat.Event, 1<<16), chans: map[string]*chat.Channel{}, msgs: map[string][]chat.Message{}, lastMs: map[string]int64{}}
}

// fixedTime is when the fake conversation happens (UTC; tests set time.Local).
var fixedTime = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// add stores messages in channel, created if needed.
func (f *fakeBackend) add(channel, user, text string, at time.Time) chat.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chans[channel] == nil {
		f.chans[channel] = &chat.Channel{ID: "id-" + channel, Name: channel}
	}
	f.seq++
	// Stream ids carry the time the entry was stored, and only grow.
	ms := max(at.UnixMilli(), f.lastMs[channel])
	f.lastMs[channel] = ms
	m := chat.Message{ID: chat.ID{MS: uint64(ms), Seq: uint64(f.seq)}, Channel: channel, User: user, Text: text, Time: at, MsgID: fmt.Sprint("m", f.seq)}
	f.msgs[channel] = append(f.msgs[channel], m)
	return m
}

func (f *fakeBackend) User() string              { return f.user }
func (f *fakeBackend) Events() <-chan chat.Event { return f.events }

func (f *fakeBackend) Join(ctx context.Context, channel string) (chat.Channel, error) {
	f.mu.Lock()
	if f.chans[channel] == nil {
		f.chans[channel] = &chat.Channel{ID: "id-" + channel, Name: channel}
	}
	f.chans[channel].Members = 2
	ch := *f.chans[channel]
	msgs := f.msgs[channel]
	f.mu.Unlock()
	page, more := msgs, false
	if len(page) > 200 {
		page, more = page[len(page)-200:], true
	}
	f.events <- chat.HistoryEvent{Channel: channel, Messages: page, Complete: !more}
	// As the chat client does: the members, then who of them is online.
	f.events <- chat.MembersEvent{Channel: channel, Members: []string{"alice", "bob"}}
	f.events <- chat.PresenceEvent{User: "alice", Online: true}
	f.events <- chat.PresenceEvent{User: "bob", Online: true}
	return ch, nil
}

func (f *fakeBackend) Verify(channel string, id chat.ID) chat.Verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.verdicts[id]; ok {
		return v
	}
	return chat.Verified
}

// setVerdict makes Verify answer v for message id.
func (f *fakeBackend) setVerdict(id chat.ID, v chat.Verdict) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verdicts == nil {
		f.verdicts = map[chat.ID]chat.Verdict{}
	}
	f.verdicts[id] = v
}

func (f *fakeBackend) Opening(context.Context) (chat.Opening, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return chat.Opening{Channels: f.mine, Settings: f.settings}, nil
}

// changeSettings applies change and tells the window, as the chat client
// does.
func (f *fakeBackend) changeSettings(change func(s *chat.Settings)) error {
	f.mu.Lock()
	if f.settings.Levels == nil {
		f.settings.Levels, f.settings.Pinned = map[string]chat.Level{}, map[string]bool{}
	}
	change(&f.settings)
	s := f.settings
	f.mu.Unlock()
	f.events <- chat.SettingsEvent{Settings: s}
	return nil
}

func (f *fakeBackend) ChangeSettings(_ context.Context, ch chat.SettingsChange) error {
	return f.changeSettings(func(s *chat.Settings) {
		switch ch := ch.(type) {
		case chat.SetLevel:
			s.Levels[ch.Conv] = ch.Level
		case chat.SetPinned:
			s.Pinned[ch.Conv] = ch.Pinned
		case chat.SetHighlights:
			s.Highlights = ch.Words
		case chat.SetDND:
			s.DNDUntil = ch.Until
		}
	})
}

func (f *fakeBackend) SetAway(context.Context, bool, string) error { return nil }

func (f *fakeBackend) Away(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}

func (f *fakeBackend) Thread(_ context.Context, channel string, root chat.ID) (chat.Message, []chat.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r chat.Message
	var replies []chat.Message
	for _, m := range f.msgs[channel] {
		switch {
		case m.ID == root:
			r = m
		case m.Thread == root:
			replies = append(replies, m)
		}
	}
	if r.ID.IsZero() {
		return r, nil, chat.ErrNoSuchMessage
	}
	return r, replies, nil
}

func (f *fakeBackend) Leave(ctx context.Context, channel string) error { return nil }

func (f *fakeBackend) Send(d chat.Draft) (string, error) {
	f.mu.Lock()
	f.drafts = append(f.drafts, d)
	f.mu.Unlock()
	m := f.add(d.Channel, f.user, d.Text, fixedTime)
	f.events <- chat.MessageEvent{Message: m}
	return m.MsgID, nil
}

func (f *fakeBackend) History(ctx context.Context, channel string, before chat.ID) (chat.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msgs := f.msgs[channel]
	i := len(msgs)
	if !before.IsZero() {
		i = sort.Search(len(msgs), func(i int) bool { return !before.After(msgs[i].ID) })
	}
	lo := max(i-200, 0)
	return chat.Page{Messages: append([]chat.Message(nil), msgs[lo:i]...), More: lo > 0}, nil
}

func (f *fakeBackend) ListChannels(ctx context.Context) ([]chat.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []chat.Channel
	for _, c := range f.chans {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeBackend) SetTopic(ctx context.Context, channel, topic string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chans[channel].Description = topic
	return nil
}
func (f *fakeBackend) DeleteChannel(ctx context.Context, channel string) error { return nil }
func (f *fakeBackend) Who(ctx context.Context, channel string) (chat.Presence, error) {
	m := []string{"alice", "bob"}
	return chat.Presence{Members: m, Online: m}, nil
}
func (f *fakeBackend) MarkRead(context.Context, string, chat.ID) error { return nil }
func (f *fakeBackend) ReadMarkers(context.Context) (map[string]chat.ID, error) {
	return map[string]chat.ID{}, nil
}
func (f *fakeBackend) Typing(string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.typed++
}

func (f *fakeBackend) typedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.typed
}

// SearchEverywhere finds q's words (and author, and conversations) in
// every conversation the fake holds, newest first, in one page.
func (f *fakeBackend) SearchEverywhere(_ context.Context, q chat.Query, _ chat.SearchCursor, limit int) (chat.SearchResults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res chat.SearchResults
	for conv, msgs := range f.msgs {
		if len(q.In) > 0 && !slices.Contains(q.In, conv) {
			continue
		}
		res.Conversations++
		for _, m := range msgs {
			res.Scanned++
			ok := q.From == "" || m.User == q.From
			for _, t := range q.Terms {
				ok = ok && strings.Contains(strings.ToLower(m.Text), t)
			}
			if ok {
				res.Hits = append(res.Hits, m)
			}
		}
	}
	slices.SortFunc(res.Hits, func(a, b chat.Message) int { return b.ID.Compare(a.ID) })
	res.Hits = res.Hits[:min(len(res.Hits), limit)]
	res.Done = true
	return res, nil
}

func (f *fakeBackend) Around(_ context.Context, channel string, id chat.ID, n int64) ([]chat.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msgs := f.msgs[channel]
	for i, m := range msgs {
		if m.ID == id {
			return append([]chat.Message(nil), msgs[max(0, i-int(n)):min(len(msgs), i+int(n)+1)]...), nil
		}
	}
	return nil, nil
}

// JoinAll joins each of channels, one after another.
func (f *fakeBackend) JoinAll(ctx context.Context, channels []string) ([]chat.Channel, map[string]error) {
	var out []chat.Channel
	errs := map[string]error{}
	for _, name := range channels {
		if ch, err := f.Join(ctx, name); err != nil {
			errs[name] = err
		} else {
			out = append(out, ch)
		}
	}
	return out, errs
}
