package redistest

import (
	"fmt"
	"slices"
)

// DiffIDs compares the stream ids a consumer delivered with what the stream
// holds. It returns "" when they are equal (same ids, same order), else one
// line saying how many there are and which are duplicated or missing.
func DiffIDs(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	var dups, missing []string
	for id, n := range seen {
		if n > 1 {
			dups = append(dups, id)
		}
	}
	for _, id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	head := func(s []string) []string { return s[:min(len(s), 5)] }
	return fmt.Sprintf("delivered %d ids, the stream holds %d; %d duplicates %v; %d missing %v; order differs: %v",
		len(got), len(want), len(dups), head(dups), len(missing), head(missing), len(dups) == 0 && len(missing) == 0)
}
