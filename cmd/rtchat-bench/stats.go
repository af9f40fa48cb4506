package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"syscall"
	"time"
)

// side is one path's numbers: rtchat's or raw go-redis's.
type side struct {
	P50        float64 `json:"p50_us"`
	P99        float64 `json:"p99_us"`
	P999       float64 `json:"p999_us"`
	Throughput float64 `json:"throughput_per_s,omitempty"`
	Samples    int     `json:"samples"`
	Lost       int64   `json:"lost"`
	// Extra holds scenario-specific figures (memory, …).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// result is one case of a scenario, both paths, and their ratios.
type result struct {
	Scenario string             `json:"scenario"`
	Case     string             `json:"case"`
	Rtchat   side               `json:"rtchat"`
	Raw      side               `json:"raw"`
	Ratio    map[string]float64 `json:"ratio"`
	Target   string             `json:"target"`
	Met      *bool              `json:"met,omitempty"`
	Note     string             `json:"note,omitempty"`
}

type report struct {
	Machine map[string]any `json:"machine"`
	Quick   bool           `json:"quick"`
	Started string         `json:"started"`
	Results []result       `json:"results"`
}

// summarize turns latencies into a side.
func summarize(lat []time.Duration) side {
	if len(lat) == 0 {
		return side{}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	pick := func(q float64) float64 {
		i := int(q * float64(len(s)-1))
		return float64(s[i].Nanoseconds()) / 1e3
	}
	return side{P50: pick(0.50), P99: pick(0.99), P999: pick(0.999), Samples: len(s)}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a / b)
}

func round(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func met(ok bool) *bool { return &ok }

func printTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "rtchat-bench on %v (%v CPUs, %v)%s\n\n", rep.Machine["host"], rep.Machine["cpus"], rep.Machine["go"], map[bool]string{true: " — quick run", false: ""}[rep.Quick])
	fmt.Fprintf(w, "%-6s %-34s %10s %10s %10s %12s %6s | %10s %10s %12s | %-28s %s\n",
		"scen.", "case", "p50 µs", "p99 µs", "p99.9 µs", "per s", "lost", "raw p50", "raw p99", "raw per s", "ratios", "target")
	fmt.Fprintln(w, strings.Repeat("-", 170))
	for _, r := range rep.Results {
		var ratios []string
		for _, k := range slices.Sorted(maps.Keys(r.Ratio)) {
			ratios = append(ratios, fmt.Sprintf("%s %.2f", k, r.Ratio[k]))
		}
		mark := ""
		if r.Met != nil {
			mark = map[bool]string{true: "✓ ", false: "✗ "}[*r.Met]
		}
		fmt.Fprintf(w, "%-6s %-34s %10.0f %10.0f %10.0f %12.0f %6d | %10.0f %10.0f %12.0f | %-28s %s%s\n",
			r.Scenario, r.Case, r.Rtchat.P50, r.Rtchat.P99, r.Rtchat.P999, r.Rtchat.Throughput, r.Rtchat.Lost+r.Raw.Lost,
			r.Raw.P50, r.Raw.P99, r.Raw.Throughput, strings.Join(ratios, ", "), mark, r.Target)
		for _, k := range slices.Sorted(maps.Keys(r.Rtchat.Extra)) {
			fmt.Fprintf(w, "%-6s   %s: %.2f\n", "", k, r.Rtchat.Extra[k])
		}
		for _, k := range slices.Sorted(maps.Keys(r.Raw.Extra)) {
			fmt.Fprintf(w, "%-6s   raw %s: %.2f\n", "", k, r.Raw.Extra[k])
		}
		if r.Note != "" {
			fmt.Fprintf(w, "%-6s   note: %s\n", "", r.Note)
		}
	}
}

// processCPU is the CPU time this process used so far, in seconds: the
// clients' side, which on one machine shares its cores with Redis.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
