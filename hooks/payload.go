package hooks

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/rtchat/rtchat/chat"
)

// payload is what Slack's and Mattermost's incoming webhooks take; the
// fields rtchat draws. Others (icon_url, color, unfurl_links…) are
// accepted and left out. username and icon_emoji name the one message,
// beside the hook's own name, never instead of it (chat.ShownName).
type payload struct {
	Text        string       `json:"text"`
	Channel     string       `json:"channel"`
	Username    string       `json:"username"`
	IconEmoji   string       `json:"icon_emoji"`
	Attachments []attachment `json:"attachments"`
	Blocks      []block      `json:"blocks"`
	// Mattermost's card and the like.
	Props map[string]any `json:"props"`
	// A slash command's answer: "ephemeral" (the default: to the person
	// who ran it alone) or "in_channel".
	ResponseType string `json:"response_type"`
}

type attachment struct {
	Fallback  string  `json:"fallback"`
	Pretext   string  `json:"pretext"`
	Title     string  `json:"title"`
	TitleLink string  `json:"title_link"`
	Text      string  `json:"text"`
	Fields    []field `json:"fields"`
	Footer    string  `json:"footer"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type block struct {
	Type     string       `json:"type"`
	Text     *textObject  `json:"text"`
	Fields   []textObject `json:"fields"`
	Elements []textObject `json:"elements"`
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

var (
	errInvalidPayload = errors.New("invalid_payload")
	errNoText         = errors.New("no_text")
)

// parsePayload reads a POST body: Slack's JSON, or Mattermost's and
// Slack's form ("payload=<json>").
func parsePayload(contentType string, body []byte) (*payload, error) {
	raw := body
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		v, err := url.ParseQuery(string(body))
		if err != nil || v.Get("payload") == "" {
			return nil, errInvalidPayload
		}
		raw = []byte(v.Get("payload"))
	}
	var p payload
	d := json.NewDecoder(strings.NewReader(string(raw)))
	if err := d.Decode(&p); err != nil || d.More() {
		return nil, errInvalidPayload
	}
	return &p, nil
}

// as is the name the payload gives its message: the icon_emoji's emoji
// (a shortcode rtchat knows) and the username, cleaned (chat.CleanAs).
func (p *payload) as() string {
	icon, _ := chat.Emoji(strings.TrimSpace(p.IconEmoji))
	return chat.CleanAs(icon + " " + p.Username)
}

// message is the text the payload makes, in rtchat's own markup (which
// is Slack's mrkdwn for *bold*, _italic_, `code` and ``` blocks).
func (p *payload) message() (string, error) {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(mrkdwn(s)); s != "" {
			parts = append(parts, s)
		}
	}
	add(p.Text)
	for _, b := range p.Blocks {
		switch b.Type {
		case "header":
			if b.Text != nil && strings.TrimSpace(b.Text.Text) != "" {
				add("*" + strings.TrimSpace(b.Text.Text) + "*")
			}
		case "section":
			if b.Text != nil {
				add(b.Text.Text)
			}
			for _, f := range b.Fields {
				add(f.Text)
			}
		case "context":
			var els []string
			for _, e := range b.Elements {
				if t := strings.TrimSpace(mrkdwn(e.Text)); t != "" {
					els = append(els, t)
				}
			}
			add(strings.Join(els, " · "))
		}
	}
	for _, a := range p.Attachments {
		before := len(parts)
		add(a.Pretext)
		switch {
		case a.Title != "" && a.TitleLink != "":
			add("*" + strings.TrimSpace(a.Title) + "* " + a.TitleLink)
		case a.Title != "":
			add("*" + strings.TrimSpace(a.Title) + "*")
		}
		add(a.Text)
		for _, f := range a.Fields {
			switch {
			case f.Title != "" && f.Value != "":
				add(f.Title + ": " + f.Value)
			default:
				add(f.Title + f.Value)
			}
		}
		add(a.Footer)
		if len(parts) == before {
			add(a.Fallback)
		}
	}
	if len(parts) == 0 {
		return "", errNoText
	}
	return strings.Join(parts, "\n"), nil
}

// slackLink matches Slack's <…> forms: <url|label>, <url>, <@user>,
// <!here>, <#C123|name>.
var slackLink = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)

// mrkdwn turns Slack's mrkdwn into rtchat's text: links become "label
// url" (or the url), <@name> and <!here> become @name and @here, and
// Slack's &lt; &gt; &amp; escapes are undone. *bold*, _italic_ and `code`
// mean the same in rtchat.
func mrkdwn(s string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackLink.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "@"):
			if label != "" {
				return "@" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			name, _, _ := strings.Cut(target[1:], "^")
			if label != "" {
				return label
			}
			return "@" + name
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return target
		case label == "" || label == target:
			return target
		default:
			return label + " " + target
		}
	})
	// &amp; last: "&amp;lt;" stands for the text "&lt;".
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
