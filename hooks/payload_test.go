package hooks

import "testing"

// Slack's mrkdwn forms become rtchat's text.
func TestMrkdwn(t *testing.T) {
	for in, want := range map[string]string{
		"<https://x.example/a|the build>":           "the build https://x.example/a",
		"<https://x.example/a>":                     "https://x.example/a",
		"<https://x.example/a|https://x.example/a>": "https://x.example/a",
		"hi <@alice> and <@U123|bob>":               "hi @alice and @bob",
		"<!here> <!channel> <!subteam^S1|@ops>":     "@here @channel @ops",
		"in <#C123|general>":                        "in #general",
		"a &lt;b&gt; &amp;lt;":                      "a <b> &lt;",
		"*bold* _it_ `code` ~s~":                    "*bold* _it_ `code` ~s~",
		"<not closed":                               "<not closed",
	} {
		if got := mrkdwn(in); got != want {
			t.Errorf("mrkdwn(%q) = %q, want %q", in, got, want)
		}
	}
}

// Blocks of type header, section and context make lines of text.
func TestBlocks(t *testing.T) {
	p, err := parsePayload("application/json", []byte(`{"blocks":[
		{"type":"header","text":{"type":"plain_text","text":"Deploy"}},
		{"type":"section","text":{"type":"mrkdwn","text":"prod is *green*"},"fields":[{"type":"mrkdwn","text":"*env:* prod"}]},
		{"type":"divider"},
		{"type":"context","elements":[{"type":"mrkdwn","text":"by ci"},{"type":"image","image_url":"x"},{"type":"mrkdwn","text":"12:00"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.message()
	if want := "*Deploy*\nprod is *green*\n*env:* prod\nby ci · 12:00"; err != nil || got != want {
		t.Fatalf("blocks made %q (%v), want %q", got, err, want)
	}
}
