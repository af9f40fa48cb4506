package ui

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The answers of real terminals to graphicsQuery pick the protocol they
// draw; tmux (which answers for itself) and a plain xterm get none.
func TestParseGraphicsAnswers(t *testing.T) {
	for _, c := range []struct {
		who, answers string
		want         Graphics
	}{
		{"kitty", "\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1bP>|kitty(0.35.2)\x1b\\\x1b[?62;c", Graphics{Protocol: "kitty", CellWidth: 10, CellHeight: 20}},
		{"WezTerm", "\x1b[6;17;8t\x1bP>|WezTerm 20240203\x1b\\\x1b[?65;4;6;18;22c", Graphics{Protocol: "iterm2", CellWidth: 8, CellHeight: 17}},
		{"iTerm2", "\x1bP>|iTerm2 3.5.0\x1b\\\x1b[?62;4c", Graphics{Protocol: "iterm2"}},
		{"foot", "\x1b[6;16;8t\x1bP>|foot(1.16.2)\x1b\\\x1b[?62;4;22c", Graphics{Protocol: "sixel", CellWidth: 8, CellHeight: 16}},
		{"xterm", "\x1b[6;15;7t\x1bP>|XTerm(390)\x1b\\\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c", Graphics{CellWidth: 7, CellHeight: 15}},
		{"tmux", "\x1bP>|tmux 3.4\x1b\\\x1b[?1;2c", Graphics{}},
		{"nothing", "", Graphics{}},
	} {
		got := parseGraphicsAnswers([]byte(c.answers))
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.who, got, c.want)
		}
	}
}

// openPty opens a pseudo-terminal: the test plays the terminal on its
// master side, DetectGraphics asks on its slave side.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// DetectGraphics asks a terminal (a real pty) and reads its answers; a
// terminal that answers nothing costs the timeout and gives none.
func TestDetectGraphicsOnAPty(t *testing.T) {
	master, slave := openPty(t)
	asked := make(chan string, 1)
	go func() {
		buf := make([]byte, 256)
		var got []byte
		for !bytes.Contains(got, []byte("\x1b[c")) {
			n, err := master.Read(buf)
			if err != nil {
				return
			}
			got = append(got, buf[:n]...)
		}
		asked <- string(got)
		_, _ = master.WriteString("\x1b_Gi=31;OK\x1b\\\x1b[6;18;9t\x1b[?62;4c")
	}()
	g := DetectGraphics(slave, 5*time.Second)
	if q := <-asked; q != graphicsQuery {
		t.Errorf("the terminal was asked %q", q)
	}
	if g != (Graphics{Protocol: "kitty", CellWidth: 9, CellHeight: 18}) {
		t.Errorf("detected %+v", g)
	}

	master2, slave2 := openPty(t)
	go func() { // reads the questions, answers none
		buf := make([]byte, 256)
		for {
			if _, err := master2.Read(buf); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	if g := DetectGraphics(slave2, 200*time.Millisecond); g != (Graphics{}) {
		t.Errorf("a silent terminal: %+v", g)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a silent terminal held the start for %v", took)
	}
	// Not a terminal: nothing asked.
	f, _ := os.CreateTemp(t.TempDir(), "x")
	if g := DetectGraphics(f, time.Second); g != (Graphics{}) {
		t.Errorf("a file: %+v", g)
	}
}

// decodeSixel is a small sixel decoder, enough to read back what
// sixelImage writes: its pixels, nil where none was painted.
func decodeSixel(t *testing.T, s string) (w, h int, px map[[2]int]color.RGBA) {
	t.Helper()
	body, ok := strings.CutPrefix(s, "\x1bP0;1;0q")
	if !ok || !strings.HasSuffix(body, "\x1b\\") {
		t.Fatalf("not a sixel image: %q", s)
	}
	body = strings.TrimSuffix(body, "\x1b\\")
	raster := regexp.MustCompile(`^"1;1;(\d+);(\d+)`).FindStringSubmatch(body)
	if raster == nil {
		t.Fatalf("no raster attributes: %q", body)
	}
	w, _ = strconv.Atoi(raster[1])
	h, _ = strconv.Atoi(raster[2])
	body = body[len(raster[0]):]
	pal := map[int]color.RGBA{}
	px = map[[2]int]color.RGBA{}
	cur, x, band := 0, 0, 0
	num := func() int {
		i := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(body[:i])
		body = body[i:]
		return n
	}
	for body != "" {
		c := body[0]
		body = body[1:]
		switch {
		case c == '#':
			cur = num()
			if strings.HasPrefix(body, ";2;") {
				body = body[3:]
				r := num()
				body = body[1:]
				g := num()
				body = body[1:]
				b := num()
				pal[cur] = color.RGBA{uint8(r * 255 / 100), uint8(g * 255 / 100), uint8(b * 255 / 100), 255}
			}
		case c == '$':
			x = 0
		case c == '-':
			x, band = 0, band+6
		case c == '!':
			n := num()
			ch := body[0]
			body = body[1:]
			for range n {
				for k := range 6 {
					if (ch-'?')&(1<<k) != 0 {
						px[[2]int{x, band + k}] = pal[cur]
					}
				}
				x++
			}
		case c >= '?' && c <= '~':
			for k := range 6 {
				if (c-'?')&(1<<k) != 0 {
					px[[2]int{x, band + k}] = pal[cur]
				}
			}
			x++
		default:
			t.Fatalf("unexpected %q in the sixel data", c)
		}
	}
	return w, h, px
}

// sixelImage paints each pixel in (nearly) its colour, leaves the
// transparent ones unpainted, and keeps to the height it is given.
func TestSixelImage(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 12, 9))
	for y := range 9 {
		for x := range 12 {
			switch {
			case x < 6:
				img.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
			case x < 10:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			} // the last two columns stay transparent
		}
	}
	w, h, px := decodeSixel(t, sixelImage(img, 100))
	if w != 12 || h != 9 {
		t.Fatalf("raster %d × %d, want 12 × 9", w, h)
	}
	for y := range 9 {
		for x := range 12 {
			c, painted := px[[2]int{x, y}]
			switch {
			case x >= 10 && painted:
				t.Fatalf("transparent pixel %d,%d painted %v", x, y, c)
			case x < 6 && (c.R < 200 || c.B > 50):
				t.Fatalf("red pixel %d,%d is %v", x, y, c)
			case x >= 6 && x < 10 && (c.B < 200 || c.R > 50):
				t.Fatalf("blue pixel %d,%d is %v", x, y, c)
			}
		}
	}
	if _, h, _ := decodeSixel(t, sixelImage(img, 4)); h != 4 {
		t.Errorf("cut to 4 rows of pixels: %d", h)
	}
}

// kitty's transmission is the picture as PNG, in chunks of at most 4096
// base64 bytes (m=1 on all but the last); iTerm2's is one escape with
// the cells it covers.
func TestKittyAndITerm2Escapes(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256)) // noise: a PNG of many chunks
	}
	var b bytes.Buffer
	kittyTransmit(&b, img, 7)
	chunks := regexp.MustCompile(`\x1b_G([^;]*);([^\x1b]*)\x1b\\`).FindAllStringSubmatch(b.String(), -1)
	if len(chunks) < 2 || !strings.HasPrefix(chunks[0][1], "a=t,f=100,t=d,i=7,q=2,m=1") {
		t.Fatalf("kitty transmission: %d chunks, first %q", len(chunks), chunks[0][1])
	}
	var data string
	for i, c := range chunks {
		if len(c[2]) > 4096 {
			t.Errorf("chunk %d holds %d bytes", i, len(c[2]))
		}
		if last := i == len(chunks)-1; strings.HasSuffix(c[1], "m=0") != last {
			t.Errorf("chunk %d says %q", i, c[1])
		}
		data += c[2]
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(raw))
	if err != nil || back.Bounds() != img.Bounds() || back.At(10, 10) != img.At(10, 10) {
		t.Fatalf("the transmitted picture: %v", err)
	}
	it := iterm2Image(img, 30, 10)
	if !strings.HasPrefix(it, "\x1b]1337;File=inline=1;size=") || !strings.Contains(it, ";width=30;height=10;") || !strings.HasSuffix(it, "\a") {
		t.Errorf("iTerm2 escape: %q…", it[:60])
	}
}
