package chat

import (
	"slices"
	"testing"
)

func TestChainVerdicts(t *testing.T) {
	now := serverTime{ms: 1_000_000}
	id := func(ms, seq uint64) ID { return ID{ms, seq} }
	for name, tc := range map[string]struct {
		last, floor ID
		live        []ID
		id, prev    ID
		want        liveVerdict
	}{
		"follows":               {last: id(900_000, 0), floor: id(900_000, 0), id: id(950_000, 0), prev: id(900_000, 0), want: deliverIt},
		"first of a new stream": {id: id(950_000, 0), want: deliverIt},
		"repeat of the last":    {last: id(950_000, 0), floor: id(900_000, 0), live: []ID{id(950_000, 0)}, id: id(950_000, 0), prev: id(900_000, 0), want: dropIt},
		"older than the floor":  {last: id(950_000, 0), floor: id(950_000, 0), id: id(940_000, 0), prev: id(930_000, 0), want: dropIt},
		"gap":                   {last: id(900_000, 0), floor: id(900_000, 0), id: id(960_000, 0), prev: id(950_000, 0), want: readStream},
		"unknown predecessor":   {last: id(900_000, 0), floor: id(900_000, 0), id: id(960_000, 0), want: readStream},
		"far future":            {last: id(900_000, 0), floor: id(900_000, 0), id: id(99999999999999, 0), prev: id(900_000, 0), want: refuseIt},
		"a second ahead":        {last: id(900_000, 0), floor: id(900_000, 0), id: id(1_001_000, 0), prev: id(900_000, 0), want: deliverIt},
		"behind a forged one":   {last: id(1_002_000, 0), floor: id(900_000, 0), live: []ID{id(1_002_000, 0)}, id: id(950_000, 0), prev: id(900_000, 0), want: readStream},
	} {
		t.Run(name, func(t *testing.T) {
			c := &chain{last: tc.last, floor: tc.floor, live: tc.live}
			if got := c.offer(tc.id, tc.prev, now); got != tc.want {
				t.Fatalf("offer(%v, prev %v) = %d, want %d", tc.id, tc.prev, got, tc.want)
			}
		})
	}
}

// FuzzChain drives a channel's chain with real entries (each published,
// or lost on the way) and forged payloads (any id, any predecessor), and
// checks the promise of chain.go: whatever was published, every real
// entry is delivered exactly once, and a final read of the stream (as a
// reconnect does) leaves nothing undelivered.
func FuzzChain(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 2, 9, 0, 0, 3, 200, 0})
	f.Add([]byte{2, 255, 2, 0, 0, 0, 2, 1, 0, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		now := uint64(1_000_000)
		var stream []ID
		c := newChain(ID{})
		delivered := map[ID]int{}
		var order []ID
		read := func() {
			var newest ID
			for _, s := range stream {
				if s.After(c.floor) {
					if c.shouldDeliver(s) {
						delivered[s]++
						order = append(order, s)
					}
					newest = s
				}
			}
			for _, p := range c.read(newest) {
				// Taken back: shown, but not in the stream.
				if slices.Contains(stream, p) {
					t.Fatalf("real entry %v taken back", p)
				}
				delivered[p]--
			}
		}
		offer := func(id, prev ID) {
			st := serverTime{ms: now}
			switch c.offer(id, prev, st) {
			case deliverIt:
				settle := c.delivered(id)
				delivered[id]++
				order = append(order, id)
				if settle {
					read()
				}
			case readStream, refuseIt:
				read()
			}
		}
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i], uint64(script[i+1])
			now += arg * 10
			switch op % 3 {
			case 0, 1: // a real entry; op 1 loses its live copy
				var prev ID
				if len(stream) > 0 {
					prev = stream[len(stream)-1]
				}
				id := ID{MS: now}
				if len(stream) > 0 && !id.After(prev) {
					id = ID{MS: prev.MS, Seq: prev.Seq + 1}
				}
				stream = append(stream, id)
				if op%3 == 0 {
					offer(id, prev)
				}
			case 2: // a forged payload, chained or not, ahead or not
				id := ID{MS: now - 500 + arg*arg*40, Seq: arg % 3}
				prev := c.last
				if arg%2 == 1 && len(stream) > 0 {
					prev = stream[int(arg)%len(stream)]
				}
				offer(id, prev)
			}
		}
		read() // the reconnect's catch-up
		for _, s := range stream {
			if delivered[s] != 1 {
				t.Fatalf("real entry %v delivered %d times (stream %v, delivered in order %v)", s, delivered[s], stream, order)
			}
		}
		for id, n := range delivered {
			if n > 1 {
				t.Fatalf("%v delivered %d times", id, n)
			}
			if !slices.Contains(stream, id) && id.MS > now+uint64(clockSkew.Milliseconds()) {
				t.Fatalf("forged %v, ahead of the clock, was delivered", id)
			}
		}
	})
}
