package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentTTL is how long a send's idempotency record lives: a retry after that
// would be stored again.
const sentTTL = 24 * time.Hour

// sendScript is the one atomic step of a send (SPEC §9). It stores the entry
// unless the client-made id was already stored, and publishes the stored
// entry live when asked.
//
//	KEYS: 1 stream, 2 sent record, 3 channel hash (all one hash tag)
//	ARGV: 1 mid, 2 user, 3 text, 4 ts, 5 kind, 6 maxlen (0: keep all),
//	      7 topic, 8 sent ttl (s), 9 publish ("0" no, "1" PUBLISH, "2" SPUBLISH
//	      on a cluster), 10 live body (JSON)
//
// It returns {stream id, receivers, stored (1) or already stored (0)}.
var sendScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[2])
if prev then return {prev, 0, 0} end
local cid = redis.call('HGET', KEYS[3], 'id')
if not cid then return redis.error_reply('NOCHANNEL channel does not exist') end
local before = ''
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then before = top[1][1] end
local id
if ARGV[6] ~= '0' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'mid', ARGV[1], 'channel_id', cid, 'user', ARGV[2], 'text', ARGV[3], 'ts', ARGV[4], 'kind', ARGV[5])
else
  id = redis.call('XADD', KEYS[1], '*', 'mid', ARGV[1], 'channel_id', cid, 'user', ARGV[2], 'text', ARGV[3], 'ts', ARGV[4], 'kind', ARGV[5])
end
redis.call('SET', KEYS[2], id, 'EX', ARGV[8])
local n = 0
local payload = id .. '\n' .. before .. '\n' .. cid .. '\n' .. ARGV[10]
if ARGV[9] == '1' then
  n = redis.call('PUBLISH', ARGV[7], payload)
elseif ARGV[9] == '2' then
  n = redis.call('SPUBLISH', ARGV[7], payload)
end
return {id, n, 1}
`)

// A live payload is "id\nprev\nchannel_id\n{json}": the stream id, the id
// of the entry before it in the stream ("" for none, "?" when unknown) so a
// receiver can tell that it missed something, the channel's id, and the
// liveBody. Ephemeral messages have neither id nor prev.

// liveBody is the JSON part of a live payload.
type liveBody struct {
	MsgID string `json:"mid"`
	User  string `json:"user"`
	Text  string `json:"text"`
	TS    int64  `json:"ts"`
	Kind  Kind   `json:"kind,omitempty"`
}

// Sent says what a send did.
type Sent struct {
	// ID is the stream id of the stored entry.
	ID string
	// MsgID is the client-made id the entry carries.
	MsgID string
	// Receivers is how many subscriptions got it live (0 on a deduplicated retry).
	Receivers int64
	// Duplicate is true when the entry had been stored by an earlier try.
	Duplicate bool
}

// Draft is a message to send: Text in Channel, of Kind, with the client-made
// MsgID that makes retries land once (Send makes one when it is empty).
type Draft struct {
	Channel string
	Text    string
	Kind    Kind
	MsgID   string
}

// store runs the send script for d, publishing live when publish is set.
func (c *Client) store(ctx context.Context, d Draft, publish bool) (Sent, error) {
	if err := ValidateName(d.Channel); err != nil {
		return Sent{}, err
	}
	text, err := CleanText(d.Text, c.opts.MaxMessageBytes)
	if err != nil {
		return Sent{}, err
	}
	if d.MsgID == "" {
		d.MsgID = newID()
	}
	now := time.Now().UnixMilli()
	body, err := json.Marshal(liveBody{MsgID: d.MsgID, User: c.opts.User, Text: text, TS: now, Kind: d.Kind})
	if err != nil {
		return Sent{}, fmt.Errorf("encode message: %w", err)
	}
	pub := "0"
	switch {
	case publish && c.cluster != nil:
		pub = "2"
	case publish:
		pub = "1"
	}
	keys := []string{c.keys.Stream(d.Channel), c.keys.Sent(d.Channel, d.MsgID), c.keys.Channel(d.Channel)}
	res, err := sendScript.Run(ctx, c.rdb, keys,
		d.MsgID, c.opts.User, text, strconv.FormatInt(now, 10), string(d.Kind), c.opts.MaxLen,
		c.keys.Topic(d.Channel), int64(sentTTL/time.Second), pub, string(body)).Slice()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOCHANNEL") {
			return Sent{}, fmt.Errorf("send to %q: %w", d.Channel, ErrNoSuchChannel)
		}
		return Sent{}, fmt.Errorf("send to %q: %w", d.Channel, err)
	}
	if len(res) != 3 {
		return Sent{}, fmt.Errorf("send to %q: unexpected reply %v", d.Channel, res)
	}
	id, _ := res[0].(string)
	n, _ := res[1].(int64)
	stored, _ := res[2].(int64)
	return Sent{ID: id, MsgID: d.MsgID, Receivers: n, Duplicate: stored == 0}, nil
}

// ProduceMessage appends text to channel's stream (XADD) without publishing
// it live — the seed's "message producer". It returns the stream id. Live
// subscribers see the entry when they next catch up, or when a Consumer fans
// it out.
func (c *Client) ProduceMessage(ctx context.Context, channel, text string) (string, error) {
	s, err := c.store(ctx, Draft{Channel: channel, Text: text}, false)
	return s.ID, err
}

// BroadcastMessage stores text in channel's stream and publishes the stored
// entry to every live subscriber in one atomic step — the seed's "send →
// produced to the stream and published live", the way every chat message is
// sent. A retry with the same Draft.MsgID (see Send) is stored once.
func (c *Client) BroadcastMessage(ctx context.Context, channel, text string) (Sent, error) {
	return c.store(ctx, Draft{Channel: channel, Text: text}, true)
}

// PublishMessage publishes text to channel's live subscribers without storing
// it (Pub/Sub alone, at most once) — the seed's "message publisher". It
// returns how many subscriptions received it. Receivers get it as a Message
// with Ephemeral set and no ID.
func (c *Client) PublishMessage(ctx context.Context, channel, text string) (int64, error) {
	if err := ValidateName(channel); err != nil {
		return 0, err
	}
	text, err := CleanText(text, c.opts.MaxMessageBytes)
	if err != nil {
		return 0, err
	}
	body, err := json.Marshal(liveBody{MsgID: newID(), User: c.opts.User, Text: text, TS: time.Now().UnixMilli()})
	if err != nil {
		return 0, fmt.Errorf("encode message: %w", err)
	}
	n, err := c.publish(ctx, c.keys.Topic(channel), "\n\n\n"+string(body)).Result()
	if err != nil {
		return 0, fmt.Errorf("publish to %q: %w", channel, err)
	}
	return n, nil
}

// publish sends a live payload: sharded on a cluster, plain otherwise.
func (c *Client) publish(ctx context.Context, topic, payload string) *redis.IntCmd {
	if c.cluster != nil {
		return c.rdb.SPublish(ctx, topic, payload)
	}
	return c.rdb.Publish(ctx, topic, payload)
}

// encodeLive builds the live payload of a stored message.
func encodeLive(m Message, prev string) (string, error) {
	body, err := json.Marshal(liveBody{MsgID: m.MsgID, User: m.User, Text: m.Text, TS: m.Time.UnixMilli(), Kind: m.Kind})
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", m.ID, err)
	}
	return m.ID + "\n" + prev + "\n" + m.ChannelID + "\n" + string(body), nil
}

// decodeLive parses a live payload; prev is the id of the entry before it
// ("" none, "?" unknown).
func decodeLive(channel, payload string) (m Message, prev string, err error) {
	parts := strings.SplitN(payload, "\n", 4)
	if len(parts) != 4 {
		return Message{}, "", errors.New("live payload has no header")
	}
	var b liveBody
	if err := json.Unmarshal([]byte(parts[3]), &b); err != nil {
		return Message{}, "", fmt.Errorf("live payload: %w", err)
	}
	m = Message{ID: parts[0], Channel: channel, ChannelID: parts[2], MsgID: b.MsgID, User: b.User,
		Text: b.Text, Time: time.UnixMilli(b.TS), Kind: b.Kind, Ephemeral: parts[0] == ""}
	if m.Kind != KindText && m.Kind != KindAction {
		m.Malformed = "unknown kind " + strconv.Quote(string(m.Kind))
		m.Kind = KindText
	}
	return m, parts[1], nil
}

// outgoing is one queued send.
type outgoing struct{ draft Draft }

// Send queues d for sending in order and returns its message id at once. The
// outcome arrives as SendEvents: Pending while the link is down (the client
// retries with the same id, so it is stored once), then the stream ID, or
// the error that makes it unsendable (bad name, too long, no channel).
// Validation errors are returned directly and nothing is queued.
func (c *Client) Send(d Draft) (string, error) {
	if err := ValidateName(d.Channel); err != nil {
		return "", err
	}
	if _, err := CleanText(d.Text, c.opts.MaxMessageBytes); err != nil {
		return "", err
	}
	if d.MsgID == "" {
		d.MsgID = newID()
	}
	c.sentMessage(d.Channel)
	select {
	case c.outbox <- outgoing{d}:
		return d.MsgID, nil
	default:
		return "", errors.New("too many messages waiting to be sent; wait for the connection to come back")
	}
}

// sendLoop sends queued drafts in order, retrying each with backoff while
// the error is a connection problem.
func (c *Client) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-c.outbox:
			for attempt := 1; ; attempt++ {
				s, err := c.store(ctx, o.draft, true)
				if err == nil {
					c.emit(ctx, SendEvent{MsgID: o.draft.MsgID, Channel: o.draft.Channel, ID: s.ID})
					break
				}
				if ctx.Err() != nil {
					return
				}
				if !Retryable(err) {
					c.emit(ctx, SendEvent{MsgID: o.draft.MsgID, Channel: o.draft.Channel, Err: err})
					break
				}
				if attempt == 1 {
					c.emit(ctx, SendEvent{MsgID: o.draft.MsgID, Channel: o.draft.Channel, Pending: true})
				}
				if !sleep(ctx, Backoff(attempt, c.opts.MaxBackoff)) {
					return
				}
			}
		}
	}
}

// Retryable reports whether err is a connection problem worth retrying (as
// opposed to a refusal by Redis or by validation).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range []error{ErrInvalidName, ErrMessageTooLong, ErrEmptyMessage, ErrNoSuchChannel, ErrNotOwner, context.Canceled} {
		if errors.Is(err, e) {
			return false
		}
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		// Replies from Redis: only "still starting"-style ones are transient.
		msg := rerr.Error()
		return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "CLUSTERDOWN") ||
			strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "MASTERDOWN") || strings.HasPrefix(msg, "READONLY")
	}
	return true
}
