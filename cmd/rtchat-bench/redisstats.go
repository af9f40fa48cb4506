package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// serverStats is what INFO says of a server's work and memory at a moment.
type serverStats struct {
	usedMemory int64
	// cpuSec is used_cpu_sys + used_cpu_user: the Redis process's CPU time.
	cpuSec float64
	// calls and usec are INFO commandstats per command ("evalsha" …).
	calls, usec map[string]float64
	// at is the server's clock (server_time_usec), in seconds: CPU time
	// over it is the share of a core, whatever the reading's own delay.
	at float64
	// clients and maxOutput are INFO clients' connected_clients and
	// client_recent_max_output_buffer.
	clients, maxOutput int64
}

// readStats reads INFO server, clients, memory, cpu and commandstats.
func readStats(ctx context.Context, rdb redis.UniversalClient) (serverStats, error) {
	txt, err := rdb.Info(ctx, "server", "clients", "memory", "cpu", "commandstats").Result()
	if err != nil {
		return serverStats{}, err
	}
	s := serverStats{calls: map[string]float64{}, usec: map[string]float64{}}
	for _, l := range strings.Split(txt, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok {
			continue
		}
		switch {
		case k == "used_memory":
			s.usedMemory, _ = strconv.ParseInt(v, 10, 64)
		case k == "server_time_usec":
			us, _ := strconv.ParseFloat(v, 64)
			s.at = us / 1e6
		case k == "connected_clients":
			s.clients, _ = strconv.ParseInt(v, 10, 64)
		case k == "client_recent_max_output_buffer":
			s.maxOutput, _ = strconv.ParseInt(v, 10, 64)
		case k == "used_cpu_sys", k == "used_cpu_user":
			f, _ := strconv.ParseFloat(v, 64)
			s.cpuSec += f
		case strings.HasPrefix(k, "cmdstat_"):
			name := strings.TrimPrefix(k, "cmdstat_")
			for _, kv := range strings.Split(v, ",") {
				field, val, _ := strings.Cut(kv, "=")
				f, _ := strconv.ParseFloat(val, 64)
				switch field {
				case "calls":
					s.calls[name] = f
				case "usec":
					s.usec[name] = f
				}
			}
		}
	}
	return s, nil
}

// delta is what happened between two readings: b minus a.
type delta struct {
	memory int64
	cpuSec float64
	calls  map[string]float64
	usec   map[string]float64
}

func (a serverStats) to(b serverStats) delta {
	d := delta{memory: b.usedMemory - a.usedMemory, cpuSec: b.cpuSec - a.cpuSec, calls: map[string]float64{}, usec: map[string]float64{}}
	for k, v := range b.calls {
		d.calls[k] = v - a.calls[k]
	}
	for k, v := range b.usec {
		d.usec[k] = v - a.usec[k]
	}
	return d
}

// totalCalls counts every command in d but the bench's own (INFO, CONFIG).
func (d delta) totalCalls() float64 {
	n := 0.0
	for k, v := range d.calls {
		if k != "info" && !strings.HasPrefix(k, "config") {
			n += v
		}
	}
	return n
}

// sumUsec adds the Redis time of the named commands.
func (d delta) sumUsec(names ...string) float64 {
	t := 0.0
	for _, n := range names {
		t += d.usec[n]
	}
	return t
}

// leftovers remembers what a scenario made in Redis, so that a run against
// a server given with --redis leaves nothing behind.
type leftovers struct {
	channels, users []string
	keys            []string
}

func (l *leftovers) channel(names ...string) { l.channels = append(l.channels, names...) }
func (l *leftovers) user(names ...string)    { l.users = append(l.users, names...) }
func (l *leftovers) key(keys ...string)      { l.keys = append(l.keys, keys...) }

// scratch opens a connection to the server for a scenario, with the list
// of what the scenario leaves there; done cleans that up and closes the
// connection.
func (b *bench) scratch(ctx context.Context) (rdb *redis.Client, left *leftovers, done func()) {
	rdb = redis.NewClient(b.opts)
	left, done = tidy(ctx, rdb)
	return rdb, left, done
}

// tidy starts the list of what a scenario leaves through rdb; done cleans
// that up and closes rdb.
func tidy(ctx context.Context, rdb redis.UniversalClient) (left *leftovers, done func()) {
	left = &leftovers{}
	return left, func() {
		left.clean(ctx, rdb)
		_ = rdb.Close()
	}
}

// clean deletes it all: each channel's keys and index entry, each user's
// keys and presence, and the raw keys.
func (l *leftovers) clean(ctx context.Context, rdb redis.UniversalClient) {
	k := chat.DefaultKeys()
	pipe := rdb.Pipeline()
	for _, c := range l.channels {
		pipe.Del(ctx, k.Channel(c), k.Members(c), k.Stream(c), k.Stream(c)+":state")
		pipe.SRem(ctx, k.ChannelIndex(), c)
	}
	for _, u := range l.users {
		pipe.Del(ctx, k.User(u), k.UserChannels(u), k.ReadMarks(u), k.Online(u), k.SigningKeys(u), k.UserSettings(u))
	}
	for _, key := range l.keys {
		pipe.Del(ctx, key)
	}
	_, _ = pipe.Exec(ctx)
	*l = leftovers{}
}

// sides makes what a scenario comparing a send with a bare write needs:
// a channel created by a sending client (signing with signer when it is
// not nil) and the name of a stream for the raw side, both cleaned up by
// left.
func sides(ctx context.Context, rdb *redis.Client, left *leftovers, scenario string, signer *chat.Signer) (channel, rawKey string, c *chat.Client, err error) {
	tag := time.Now().UnixNano() % 1e9
	channel, rawKey = fmt.Sprintf("bench-%s-%d", scenario, tag), fmt.Sprintf("bench:%s:{%d}", scenario, tag)
	left.channel(channel)
	left.key(rawKey)
	if c, err = chat.New(chat.Options{Redis: rdb, User: "sender", Signer: signer}); err != nil {
		return "", "", nil, err
	}
	if _, _, err = c.CreateChannel(ctx, channel, ""); err != nil {
		return "", "", nil, err
	}
	return channel, rawKey, c, nil
}
