package chat

import (
	"fmt"
	"slices"
	"strings"
)

// An account is a Redis ACL user (docs/DESIGN.md, "Accounts"). Its rules
// give it exactly what rtchat does, key by key: Redis 7's selectors
// ("(~pattern +cmd …)") allow commands per key pattern, so an account may,
// say, add entries to a public stream but not delete it, and add a notice
// to another person's inbox without reading it. Lua runs only as the
// functions an admin loaded (FCALL), never as the account's own (no EVAL,
// no SCRIPT, no FUNCTION). Scripts and functions run with their caller's
// rights, so what an account may not do by hand, no program of rtchat's
// does for it.

// A Right is one part of an account's rules: key patterns (written as
// ACL writes them: "%R~" read, "%W~" write, "~" both), Pub/Sub patterns
// ("&"), the commands allowed on them, and why rtchat needs them. The root
// rights are merged into the user's root rules; each other right is a
// selector of its own.
type Right struct {
	Root     bool
	Keys     []string
	Channels []string
	Commands []string
	Why      string
}

// readCommands are the commands rtchat reads with: allowed on every key
// an account may read.
var readCommands = []string{"get", "exists", "type", "hget", "hmget", "hgetall", "smembers", "scard", "sismember",
	"xrange", "xrevrange", "xread", "zrange", "zcount",
	"hlen", "hstrlen", "zrangebyscore"}

// AccountRights are the rights of the account of person user, member of
// the private channels private; alsoRead are more keys it may read (the
// embedded server's marker, which every rtchat asks for).
func (k Keys) AccountRights(user string, private []string, alsoRead ...string) []Right {
	u, dm, me := k.UserPrefix, k.dm(), tag(user)
	mine := []string{dm + "{" + user + ",*}", dm + "{*," + user + "}"} // my direct conversations
	priv := func(f func(string) []string) []string {
		var out []string
		for _, p := range private {
			out = append(out, f(p)...)
		}
		return out
	}
	convs := func(suffix string) []string { // a key of every conversation I may write
		out := []string{k.MessagePrefix + "{*}" + suffix}
		for _, c := range mine {
			out = append(out, c+suffix)
		}
		return append(out, priv(func(p string) []string { return []string{k.PrivateStream(p) + suffix} })...)
	}
	read := []string{k.ChannelPrefix + "*", k.MessagePrefix + "*", u + "{*}", k.SigningKeys("*"), k.Online("*"),
		u + me + ":*", mine[0], mine[1], mine[0] + ":*", mine[1] + ":*", k.DMList(user), k.DMInbox(user)}
	read = append(read, priv(func(p string) []string {
		return []string{k.PrivateChannel(p), k.PrivateMembers(p), k.PrivateStream(p), k.PrivateStream(p) + ":*"}
	})...)
	read = append(read, alsoRead...)
	topics := []string{k.ChannelPrefix + "*", k.MessagePrefix + "*", k.PresenceEvents(), k.UserEvents(user), mine[0], mine[1]}
	topics = append(topics, priv(func(p string) []string { return []string{k.PrivateStream(p)} })...)
	fcallKeys := []string{k.ChannelPrefix + "*", k.MessagePrefix + "*", k.ReadMarks(user), mine[0], mine[1], mine[0] + ":*", mine[1] + ":*"}
	fcallKeys = append(fcallKeys, priv(func(p string) []string { return []string{k.PrivateStream(p), k.PrivateStream(p) + ":*"} })...)
	own := []string{k.User(user), k.UserChannels(user), k.ReadMarks(user), k.Online(user), k.UserSettings(user),
		k.SigningKeys(user), k.DMList(user), k.DMInbox(user), k.MentionsInbox(user)}
	return []Right{
		{Root: true, Commands: []string{"hello", "auth", "ping", "time", "acl|whoami", "cluster|slots", "cluster|shards", "readonly", "command", "multi", "exec", "discard"},
			Why: "connect, sign in, learn who one is signed in as, find a cluster's nodes, read from replicas, batch commands"},
		{Root: true, Keys: prefixed("%R~", read), Commands: readCommands,
			Why: "read: every public channel; everyone's record, signing keys and presence; one's own keys, direct conversations, list and inbox of them; one's private channels"},
		{Root: true, Channels: prefixed("&", topics), Commands: []string{"subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "publish", "spublish"},
			Why: "live messages of every public channel, of one's direct conversations and private channels; channel list changes; presence; one's own events"},
		{Keys: prefixed("~", fcallKeys), Commands: []string{"fcall", "fcall_ro"},
			Why: "run the functions an admin loaded (send, pages, threads, search, read markers, channels); each command inside is checked against these rules again"},
		{Keys: prefixed("~", append(convs(""), convs(":thread:*")...)), Commands: []string{"xadd"},
			Why: "add messages to conversations and their threads' copies (no DEL, no XDEL, no XTRIM)"},
		{Keys: prefixed("~", convs(":state")), Commands: []string{"hset"},
			Why: "keep reactions and thread counts beside a conversation (shared: unsigned; no HDEL, no DEL)"},
		{Keys: prefixed("~", convs(":by:"+user)), Commands: []string{"hset", "hdel"},
			Why: "keep one's own edits and deletes: nobody else may write them"},
		{Keys: prefixed("~", convs(":file:"+user+":*")), Commands: []string{"hset", "pexpire", "persist"},
			Why: "store one's own files' bytes beside a conversation (under a TTL until their message is sent): nobody else may write them"},
		{Keys: prefixed("~", append(convs(":file:*"), convs(":files")...)), Commands: []string{"unlink", "zadd", "zrem"},
			Why: "list a sent file; remove the files of messages retention trimmed (so a member can remove a file, as a flood of messages can trim it: never change one, which its signed SHA-256 would tell)"},
		{Keys: []string{"~" + k.Channel("*")}, Commands: []string{"hset", "hsetnx"},
			Why: "create a public channel, set its topic"},
		{Keys: []string{"~" + k.Members("*")}, Commands: []string{"sadd", "srem"},
			Why: "join and leave a public channel"},
		{Keys: []string{"~" + k.ChannelIndex(), "~" + k.ChannelSeq()}, Commands: []string{"sadd", "incr"},
			Why: "list a new channel, number it"},
		{Keys: prefixed("~", own), Commands: []string{"hset", "hsetnx", "hdel", "sadd", "srem", "zadd", "zrem", "zremrangebyscore", "pexpire"},
			Why: "one's own record, channels, read markers, sessions, settings, signing keys, and list and inbox of direct conversations"},
		{Channels: []string{"&" + k.CommandRuns()}, Commands: []string{"publish"},
			Why: "run a server's slash command: hand it, signed, to rtchat hooks serve, which alone hears it (no account may subscribe: what is typed in a private channel stays there)"},
		{Keys: []string{"%W~" + k.MentionsInbox("*")}, Commands: []string{"zadd"},
			Why: "tell someone a message calls on them (a mention, a direct message, a reply, a reaction): add a signed notice to their mentions inbox, which one may not read"},
		{Keys: []string{"%W~" + k.DMInbox("*")}, Commands: []string{"zadd"},
			Why: "tell someone that one opened a conversation with them: add a notice to their inbox, which one may not read (ZADD tells nothing of what is there)"},
	}
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// AccountRules are the ACL SETUSER arguments of rights (see
// AccountRights), after "reset on >PASSWORD": the root rules, then a
// selector per right.
func AccountRules(rights []Right) []string {
	var root, sel []string
	var rootCmds []string
	for _, r := range rights {
		var cmds []string
		for _, c := range r.Commands {
			cmds = append(cmds, "+"+c)
		}
		if r.Root {
			root = append(root, r.Keys...)
			root = append(root, r.Channels...)
			rootCmds = append(rootCmds, cmds...)
			continue
		}
		parts := append(append(slices.Clone(r.Keys), r.Channels...), cmds...)
		sel = append(sel, "("+strings.Join(parts, " ")+")")
	}
	return append(append(root, rootCmds...), sel...)
}

// RightsTable is rights as a Markdown table (the README's list of what
// an account may do, and why): one row per right.
func RightsTable(rights []Right) string {
	var b strings.Builder
	b.WriteString("| Keys and topics | Commands | Why |\n|---|---|---|\n")
	for _, r := range rights {
		where := append(slices.Clone(r.Keys), r.Channels...)
		w := "(none: not about keys)"
		if len(where) > 0 {
			w = "`" + strings.Join(where, "` `") + "`"
		}
		cmds := strings.ReplaceAll(strings.Join(r.Commands, " "), "|", "\\|") // acl|whoami in a table cell
		fmt.Fprintf(&b, "| %s | %s | %s |\n", w, cmds, r.Why)
	}
	return b.String()
}
