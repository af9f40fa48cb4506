package chat_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

func mentionKinds(ms []chat.Mention) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Kind+" "+m.From+" "+m.Message.Channel+" "+m.Message.Text+m.Reaction)
	}
	return out
}

// Others' sends fill a person's mentions inbox — an @mention, a direct
// message, a reply, a reaction to their message — newest first, shown
// only with a message the person may read; a forged notice, or one of a
// private channel they are not in, shows nothing; every terminal agrees
// on what is read. Real ACL users.
func TestMentionsInbox(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "carol")
	c := ctxT(t)
	if err := a.adm.MakePrivate(c, "team", "admin", []string{"bob", "alice"}); err != nil {
		t.Fatal(err)
	}
	alice, bob, carol := a.joinedAs(c, "alice", "general"), a.joinedAs(c, "bob", "general"), a.joinedAs(c, "carol", "general")
	if _, err := bob.Join(c, "+team"); err != nil {
		t.Fatal(err)
	}
	say := func(r *recorder, d chat.Draft) chat.Sent {
		t.Helper()
		s, err := r.Broadcast(c, d)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		return s
	}
	mine := say(alice, chat.Draft{Channel: "general", Text: "I'll take the deploy"})
	say(bob, chat.Draft{Channel: "general", Text: "@Alice can you look?"})
	say(bob, chat.Draft{Channel: "general", Text: "nothing for anyone"})
	say(bob, chat.Draft{Channel: "@alice", Text: "psst"})
	say(bob, chat.Draft{Channel: "general", Text: "thanks", ReplyTo: mine.ID})
	say(bob, chat.Draft{Channel: "general", Kind: chat.KindReact, Ref: mine.ID, Text: "👍"})
	say(bob, chat.Draft{Channel: "+team", Text: "@carol is not here, @alice is"})
	// mallory-like: carol adds a notice in bob's name to alice's inbox.
	forged := `{"to":"alice","conv":"general","id":"` + mine.ID.String() + `","kind":"mention","from":"bob","ts":1,"key":"x","sig":"` + string(make([]byte, 0)) + `"}`
	if err := a.conn("carol").ZAdd(c, chat.DefaultKeys().MentionsInbox("alice"), redis.Z{Score: float64(time.Now().UnixMilli()), Member: forged}).Err(); err != nil {
		t.Fatalf("anyone may add to an inbox: %v", err)
	}
	huge := `{"to":"alice","conv":"general","from":"carol","reaction":"` + strings.Repeat("x", 4000) + `"}`
	if err := a.conn("carol").ZAdd(c, chat.DefaultKeys().MentionsInbox("alice"), redis.Z{Score: float64(time.Now().UnixMilli()), Member: huge}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.conn("carol").ZRange(c, chat.DefaultKeys().MentionsInbox("alice"), 0, -1).Err(); !redis.IsPermissionError(err) {
		t.Fatalf("carol reads alice's inbox: %v", err)
	}

	// A bare name: the sender's rtchat adds nothing; alice's windows, which
	// tell it, add it (twice here: two terminals), and it shows once.
	bare := say(carol, chat.Draft{Channel: "general", Text: "alice, are you around?"})
	var bareMsg chat.Message
	redistest.Eventually(t, 5*time.Second, "the bare mention", func() error {
		page, err := alice.History(c, "general", chat.ID{})
		for _, m := range page.Messages {
			if m.ID == bare.ID {
				bareMsg = m
				return nil
			}
		}
		return fmt.Errorf("not yet (%v)", err)
	})
	for _, r := range []*recorder{alice, a.person("alice")} {
		if err := r.RememberMention(c, bareMsg); err != nil {
			t.Fatal(err)
		}
	}

	got, err := alice.MentionInbox(c, 50)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"mention carol general alice, are you around?",
		"mention bob +team @carol is not here, @alice is",
		"react bob general I'll take the deploy👍",
		"reply bob general thanks",
		"dm bob @bob psst",
		"mention bob general @Alice can you look?",
	}
	if !slices.Equal(mentionKinds(got), want) {
		t.Fatalf("alice's mentions:\n got %q\nwant %q", mentionKinds(got), want)
	}
	for _, m := range got {
		if !m.Unread {
			t.Fatalf("not unread: %+v", m)
		}
	}
	// What does not hold is taken out of the inbox.
	for _, junk := range []string{forged, huge} {
		if err := a.admin.ZScore(c, chat.DefaultKeys().MentionsInbox("alice"), junk).Err(); err != redis.Nil {
			t.Fatalf("a junk notice stays: %v", err)
		}
	}
	// carol's notice is of a channel she is not in: nothing.
	if got, err := carol.MentionInbox(c, 50); err != nil || len(got) != 0 {
		t.Fatalf("carol's mentions: %q %v", mentionKinds(got), err)
	}
	// Read in one terminal, read in all.
	if err := alice.MarkMentionsRead(c, got[0].Time); err != nil {
		t.Fatal(err)
	}
	other := a.person("alice")
	again, err := other.MentionInbox(c, 50)
	if err != nil || len(again) != len(want) || again[0].Unread {
		t.Fatalf("after reading: %+v %v", again, err)
	}
}
