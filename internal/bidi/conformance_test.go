package bidi

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unicodeData is where Debian's unicode-data puts the Unicode files.
const unicodeData = "/usr/share/unicode/"

// openData opens a Unicode data file, or skips the test (failing it where
// CI requires the files).
func openData(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(unicodeData + name)
	if err != nil {
		if os.Getenv("RTCHAT_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v: CI installs Debian's unicode-data", err)
		}
		t.Skipf("%v: install Debian's unicode-data to check against the Unicode conformance files", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestBidiCharacterTest runs every case of BidiCharacterTest.txt: the
// resolved paragraph level, every rune's level and the visual order.
func TestBidiCharacterTest(t *testing.T) {
	sc := bufio.NewScanner(openData(t, "BidiCharacterTest.txt"))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pass, fail := 0, 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ";")
		if len(f) < 5 {
			t.Fatalf("line %d: %q", n, line)
		}
		var text []rune
		for _, h := range strings.Fields(f[0]) {
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			text = append(text, rune(v))
		}
		dir := map[string]Direction{"0": LeftToRight, "1": RightToLeft, "2": Auto}[f[1]]
		var wantLevels []int8
		for _, l := range strings.Fields(f[3]) {
			if l == "x" {
				wantLevels = append(wantLevels, -1)
				continue
			}
			v, _ := strconv.Atoi(l)
			wantLevels = append(wantLevels, int8(v))
		}
		var wantOrder []int
		for _, o := range strings.Fields(f[4]) {
			v, _ := strconv.Atoi(o)
			wantOrder = append(wantOrder, v)
		}
		levels, para := Levels(text, dir)
		order := Order(levels)
		if fmt.Sprint(para) == strings.TrimSpace(f[2]) && slices.Equal(levels, wantLevels) && slices.Equal(order, wantOrder) {
			pass++
			continue
		}
		if fail < 5 {
			t.Errorf("line %d: %s\n\tlevels %v (para %d), want %v (para %s)\n\torder %v, want %v", n, line, levels, para, wantLevels, f[2], order, wantOrder)
		}
		fail++
	}
	t.Logf("BidiCharacterTest.txt: %d of %d cases pass", pass, pass+fail)
	if fail > 0 {
		t.Errorf("%d of %d cases fail", fail, pass+fail)
	}
}

// TestBidiTest runs BidiTest.txt: sequences of classes (a character of
// each stands for it) in the paragraph directions each case names.
func TestBidiTest(t *testing.T) {
	sample := map[string]rune{"L": 'a', "R": 0x05D0, "AL": 0x0627, "EN": '1', "ES": '+', "ET": '$', "AN": 0x0660, "CS": ',',
		"NSM": 0x0300, "BN": 0x00AD, "B": 0x2029, "S": '\t', "WS": ' ', "ON": '!', "LRE": 0x202A, "LRO": 0x202D, "RLE": 0x202B,
		"RLO": 0x202E, "PDF": 0x202C, "LRI": 0x2066, "RLI": 0x2067, "FSI": 0x2068, "PDI": 0x2069}
	sc := bufio.NewScanner(openData(t, "BidiTest.txt"))
	var wantLevels []int8
	var wantOrder []int
	pass, fail := 0, 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "@Levels:"):
			wantLevels = nil
			for _, l := range strings.Fields(strings.TrimPrefix(line, "@Levels:")) {
				v := int8(-1)
				if l != "x" {
					x, _ := strconv.Atoi(l)
					v = int8(x)
				}
				wantLevels = append(wantLevels, v)
			}
			continue
		case strings.HasPrefix(line, "@Reorder:"):
			wantOrder = nil
			for _, o := range strings.Fields(strings.TrimPrefix(line, "@Reorder:")) {
				v, _ := strconv.Atoi(o)
				wantOrder = append(wantOrder, v)
			}
			continue
		case line[0] == '@':
			continue
		}
		classes, bits, _ := strings.Cut(line, ";")
		var text []rune
		for _, c := range strings.Fields(classes) {
			r, ok := sample[c]
			if !ok {
				t.Fatalf("line %d: class %q", n, c)
			}
			text = append(text, r)
		}
		set, _ := strconv.Atoi(strings.TrimSpace(bits))
		for bit, dir := range map[int]Direction{1: Auto, 2: LeftToRight, 4: RightToLeft} {
			if set&bit == 0 {
				continue
			}
			levels, _ := Levels(text, dir)
			if slices.Equal(levels, wantLevels) && slices.Equal(Order(levels), wantOrder) {
				pass++
				continue
			}
			if fail < 5 {
				t.Errorf("line %d (%v): %s\n\tlevels %v, want %v\n\torder %v, want %v", n, dir, line, levels, wantLevels, Order(levels), wantOrder)
			}
			fail++
		}
	}
	t.Logf("BidiTest.txt: %d of %d cases pass", pass, pass+fail)
	if fail > 0 {
		t.Errorf("%d of %d cases fail", fail, pass+fail)
	}
}
