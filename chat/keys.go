package chat

// Keys builds every Redis key and Pub/Sub topic rtchat uses. All keys of one
// channel share the hash tag "{name}", so a channel's writes are one atomic
// step on one node of a Redis Cluster. The zero value is not useful; use
// DefaultKeys or fill all three prefixes.
//
//	channel:{general}           Hash    id, name, description, created_by, created_at
//	channel:{general}:members   Set     usernames subscribed to the channel
//	channel:index               Set     names of all channels
//	channel:seq                 String  the last channel id handed out (a counter)
//	channel:events              Pub/Sub channel list and membership changes
//	message:{general}           Stream  the messages (user, text, ts, mid, channel_id[, kind…])
//	message:{general}           Pub/Sub live copies of new entries (same name as the stream)
//	message:{general}:state     Hash    message id → reactions and thread (shared, unsigned)
//	message:{general}:by:alice  Hash    message id → alice's edit or delete of it (only alice writes)
//	message:{general}:thread:ID Stream  copies of the replies in the thread of message ID
//	user:{alice}                Hash    id, name, created_at
//	user:{alice}:channels       Set     channels the user is subscribed to
//	user:{alice}:read           Hash    channel → stream id of the newest message read
//	user:{alice}:online         ZSet    session id → when its heartbeat expires (ms); everyone reads it
//	user:{alice}:settings       Hash    notification levels, pins, highlights, do-not-disturb
//	user:{alice}:events         Pub/Sub read markers moved, settings and private channels changed
//	user:presence               Pub/Sub "+alice" came online, "-alice" went away (hints)
//	user:{alice}:keys           Hash    key id → public signing key (one per device)
//	user:{alice}:private        Set     private channels alice belongs to
//	dm:{alice,bob}              Stream  a direct conversation (names sorted); also its topic
//	dm:{alice}:with             Set     the people alice has direct conversations with (only alice)
//	dm:{alice}:inbox            ZSet    notices of conversations others opened (others only ZADD)
//	private:{secret}            Hash    a private channel's id, name, created_by, created_at
//	private:{secret}:members    Set     its members (kept by an admin)
//	privmsg:{secret}            Stream  its messages; also its topic
//
// Keys is a plain value and safe for concurrent use.
type Keys struct {
	// ChannelPrefix starts channel keys (CHANNEL_PREFIX, default "channel:").
	ChannelPrefix string
	// MessagePrefix starts stream keys and live topics (MESSAGE_PREFIX, default "message:").
	MessagePrefix string
	// UserPrefix starts user keys (default "user:").
	UserPrefix string
	// DMPrefix starts the keys of direct conversations (default "dm:"),
	// PrivatePrefix those of private channels ("private:") and
	// PrivateMessagePrefix their streams ("privmsg:"): apart from the
	// public ones, so that ACL patterns can tell them apart.
	DMPrefix, PrivatePrefix, PrivateMessagePrefix string
}

// DefaultKeys returns the default key schema.
func DefaultKeys() Keys {
	return Keys{ChannelPrefix: "channel:", MessagePrefix: "message:", UserPrefix: "user:",
		DMPrefix: "dm:", PrivatePrefix: "private:", PrivateMessagePrefix: "privmsg:"}
}

func tag(name string) string { return "{" + name + "}" }

// Channel is the Hash holding a channel's id, name and description.
func (k Keys) Channel(name string) string { return k.ChannelPrefix + tag(name) }

// PrivateClaim is the key that keeps name from public channels because a
// private channel has it (rtchat admin writes it). Accounts may read it,
// not write or delete it (no write rule of theirs matches), and it shares
// the channel's hash tag, so the create script reads it on a cluster too.
func (k Keys) PrivateClaim(name string) string { return k.Channel(name) + ":private" }

// Members is the Set of users subscribed to a channel.
func (k Keys) Members(name string) string { return k.ChannelPrefix + tag(name) + ":members" }

// ChannelIndex is the Set of all channel names.
func (k Keys) ChannelIndex() string { return k.ChannelPrefix + "index" }

// ChannelEvents is the Pub/Sub topic that announces channel list changes.
func (k Keys) ChannelEvents() string { return k.ChannelPrefix + "events" }

// Stream is the Stream holding a channel's messages.
func (k Keys) Stream(name string) string { return k.MessagePrefix + tag(name) }

// Topic is the Pub/Sub topic carrying a channel's live messages.
func (k Keys) Topic(name string) string { return k.MessagePrefix + tag(name) }

// ChannelSeq is the counter that hands out channel ids.
func (k Keys) ChannelSeq() string { return k.ChannelPrefix + "seq" }

// User is the Hash holding a user's id and name.
func (k Keys) User(name string) string { return k.UserPrefix + tag(name) }

// UserChannels is the Set of channels a user is subscribed to.
func (k Keys) UserChannels(name string) string { return k.UserPrefix + tag(name) + ":channels" }

// ReadMarks is the Hash of a user's read markers: channel → stream id.
func (k Keys) ReadMarks(name string) string { return k.UserPrefix + tag(name) + ":read" }

// Online is the Sorted Set of a user's live sessions, scored by the time
// (ms) their heartbeat expires.
func (k Keys) Online(name string) string { return k.UserPrefix + tag(name) + ":online" }

// UserEvents is the Pub/Sub topic telling a user's terminals that a read
// marker moved.
func (k Keys) UserEvents(name string) string { return k.UserPrefix + tag(name) + ":events" }

// SigningKeys is the Hash of user's public signing keys: key id → key.
func (k Keys) SigningKeys(name string) string { return k.UserPrefix + tag(name) + ":keys" }

// PresenceEvents is the Pub/Sub topic where users come online ("+name")
// and go away ("-name").
func (k Keys) PresenceEvents() string { return k.UserPrefix + "presence" }

// channelFromTopic returns the channel name of a live topic, if it is one.
func (k Keys) channelFromTopic(topic string) (string, bool) {
	rest, ok := cutPrefix(topic, k.MessagePrefix+"{")
	if !ok || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return "", false
	}
	return rest[:len(rest)-1], true
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}
