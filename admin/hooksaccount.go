package admin

import (
	"strings"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/embedded"
)

// A hooks account ("hooks:<name>") is the Redis user of rtchat hooks
// serve: what the webhook server needs and no more, so that the machine
// that answers the internet holds no admin's password. It posts as any
// hook (their keys, their messages, in public and private channels), reads
// the hooks' records but cannot change them, and answers a slash command
// to its person alone; it cannot add or remove hooks, accounts or
// channels' members, nor read anyone's direct conversations.

// HooksPrefix starts the name of a hooks account.
const HooksPrefix = "hooks:"

// HooksAccount is the ACL user of hooks account name.
func HooksAccount(name string) string { return HooksPrefix + name }

// isHooksAccount reports whether user is a hooks account's.
func isHooksAccount(user string) bool {
	name, ok := strings.CutPrefix(user, HooksPrefix)
	return ok && chat.ValidateName(name) == nil
}

// HooksRights are a hooks account's rights: a hook's (every hook's, in
// every channel, private ones too), and the hooks' own keys.
func HooksRights(keys chat.Keys) []chat.Right {
	rights := keys.AccountRights(chat.HookAuthor("*"), []string{"*"}, embedded.MarkerKey)
	return append(rights,
		chat.Right{Keys: []string{"%R~rtchat:hooks", "%R~rtchat:hook:*"}, Commands: []string{"smembers", "hgetall", "get"},
			Why: "read the hooks: their channels, their secrets' hashes, their keys (never change them)"},
		chat.Right{Keys: []string{"~rtchat:hook:*:seen:*", "~rtchat:hook:*:rate:*", "~rtchat:hook:*:fired:*", "~rtchat:hook:run:*", "~rtchat:hook:reply:*"},
			Commands: []string{"set", "get", "del", "incr", "expire", "hset", "hincrby", "hgetall"},
			Why:      "a POST stored once, a hook's rate, an outgoing hook fired once, a slash command run once, its response_url"},
		chat.Right{Channels: []string{"&" + keys.UserEvents("*")}, Commands: []string{"publish"},
			Why: "answer a slash command to the person who ran it alone (signed by the command's key)"},
		chat.Right{Channels: []string{"&" + keys.CommandRuns()}, Commands: []string{"subscribe", "unsubscribe"},
			Why: "hear the slash commands the windows run"},
	)
}

// HooksRules are a hooks account's ACL rules (see HooksRights).
func HooksRules(keys chat.Keys) []string { return chat.AccountRules(HooksRights(keys)) }
