package ui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"
	"io"
	"slices"
	"strconv"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/picture"
)

// Where the terminal can draw pixels, a picture in the log is drawn at
// full fidelity over the cells its half-block thumbnail takes: with the
// kitty graphics protocol, iTerm2's inline images (WezTerm speaks it
// too) or sixel. tcell draws cells only, so the escapes are written to
// the terminal after each frame (graphicsScreen.Show), and only when the
// pictures on screen moved:
//
//   - kitty keeps an image's pixels once sent (by id) and places it over
//     cells; a move deletes the placements and places them again.
//   - iTerm2 and sixel paint pixels into the cells, as text would: the
//     cells under a picture are locked so tcell does not draw over it,
//     and unlocked (redrawn) when it moves away.
//
// The half-blocks stay in the cells beneath, so a terminal that ignores
// the escapes still shows the thumbnail. A picture cut by the log's edge,
// and every picture while a dialog or overlay is open, is drawn with
// half-blocks alone.

// Graphics is what the terminal draws pictures with (see DetectGraphics).
type Graphics struct {
	// Protocol is "kitty", "iterm2" or "sixel" ("" none: half-blocks).
	Protocol string
	// CellWidth and CellHeight are one cell's size in pixels (0: ask
	// the terminal's window size, else 8 × 16).
	CellWidth, CellHeight int
	// Out receives the escapes (nil: the screen's terminal).
	Out io.Writer
}

// Protocols are the graphics protocols rtchat speaks, best first.
var Protocols = []string{"kitty", "iterm2", "sixel"}

// sharpPicture is a picture scaled to the pixels of its cells, with its
// escapes once made.
type sharpPicture struct {
	img  *image.NRGBA
	id   uint32 // kitty's image id
	code string // iTerm2's or sixel's escape, made on first use
}

// placement is a picture drawn at cell x, y over cols × rows cells.
type placement struct {
	pic                 *sharpPicture
	x, y, cols, rows    int
	screenW, screenHigh int
}

// graphics collects the pictures a frame places and draws them once the
// frame is shown. Only the UI goroutine uses it.
type graphics struct {
	Graphics
	screen      tcell.Screen
	shown, want []placement
	nextID      uint32
	sent        []uint32 // kitty image ids the terminal holds, oldest first
	allowed     func(v *logView) bool
}

// kittyKept is how many images rtchat leaves with kitty at most; older
// ones are freed.
const kittyKept = 64

func newGraphics(g Graphics) *graphics {
	if !slices.Contains(Protocols, g.Protocol) {
		return nil
	}
	return &graphics{Graphics: g}
}

// cellSize is one cell's size in pixels.
func (g *graphics) cellSize() (int, int) { return g.cell(g.screen) }

// cell is one cell's size in pixels on screen.
func (g *graphics) cell(screen tcell.Screen) (int, int) {
	if g.CellWidth > 0 && g.CellHeight > 0 {
		return g.CellWidth, g.CellHeight
	}
	if screen == nil {
		return 8, 16
	}
	if tty, ok := screen.Tty(); ok {
		if ws, err := tty.WindowSize(); err == nil {
			if w, h := ws.CellDimensions(); w > 0 && h > 0 {
				return w, h
			}
		}
	}
	return 8, 16
}

// sharpen scales img to the pixels of the cells thumbnail t takes, cells
// of cw × ch pixels (any goroutine).
// A small picture is enlarged to fill them, as its half-blocks do.
func sharpen(img image.Image, t *thumbnail, cw, ch int) *image.NRGBA {
	iw, ih := img.Bounds().Dx(), img.Bounds().Dy()
	scale := min(float64(t.w*cw)/float64(iw), float64(t.rows()*ch)/float64(ih))
	return picture.Scale(img, max(int(float64(iw)*scale), 1), max(int(float64(ih)*scale), 1))
}

// picture names a sharpened image for the terminal.
func (g *graphics) picture(img *image.NRGBA) *sharpPicture {
	g.nextID++
	return &sharpPicture{img: img, id: g.nextID}
}

// place asks for pic over cols × rows cells at x, y in this frame.
func (g *graphics) place(v *logView, pic *sharpPicture, x, y, cols, rows int) {
	if g.allowed != nil && !g.allowed(v) {
		return
	}
	g.want = append(g.want, placement{pic: pic, x: x, y: y, cols: cols, rows: rows})
}

// graphicsScreen writes the frame's pictures after tcell shows it.
type graphicsScreen struct {
	tcell.Screen
	g *graphics
}

// Show shows the frame, then the pictures, when they changed.
func (s *graphicsScreen) Show() {
	g := s.g
	w, h := s.Screen.Size()
	for i := range g.want {
		g.want[i].screenW, g.want[i].screenHigh = w, h
	}
	if slices.Equal(g.want, g.shown) {
		s.Screen.Show()
		g.want = g.want[:0]
		return
	}
	painted := g.Protocol != "kitty"
	if painted {
		for _, p := range g.shown {
			s.Screen.LockRegion(p.x, p.y, p.cols, p.rows, false)
		}
	}
	s.Screen.Show()
	var b bytes.Buffer
	b.WriteString("\x1b7") // keep the cursor where tcell left it
	if g.Protocol == "kitty" {
		b.WriteString("\x1b_Ga=d,d=a,q=2\x1b\\") // every placement; images stay
	}
	_, ch := g.cell(s.Screen)
	for _, p := range g.want {
		fmt.Fprintf(&b, "\x1b[%d;%dH", p.y+1, p.x+1)
		switch g.Protocol {
		case "kitty":
			g.kitty(&b, p)
		case "iterm2":
			if p.pic.code == "" {
				p.pic.code = iterm2Image(p.pic.img, p.cols, p.rows)
			}
			b.WriteString(p.pic.code)
		case "sixel":
			if p.pic.code == "" {
				p.pic.code = sixelImage(p.pic.img, p.rows*ch)
			}
			b.WriteString(p.pic.code)
		}
	}
	b.WriteString("\x1b8")
	g.write(s.Screen, b.Bytes())
	if painted {
		for _, p := range g.want {
			s.Screen.LockRegion(p.x, p.y, p.cols, p.rows, true)
		}
	}
	g.shown, g.want = append(g.shown[:0], g.want...), g.want[:0]
}

// Sync redraws every cell (and so every picture).
func (s *graphicsScreen) Sync() {
	s.g.forget(s.Screen)
	s.Screen.Sync()
}

// Fini takes the pictures away with the window.
func (s *graphicsScreen) Fini() {
	if s.g.Protocol == "kitty" && len(s.g.sent) > 0 {
		s.g.write(s.Screen, []byte("\x1b_Ga=d,d=A,q=2\x1b\\"))
	}
	s.Screen.Fini()
}

// forget makes the next frame draw every picture again.
func (g *graphics) forget(screen tcell.Screen) {
	for _, p := range g.shown {
		screen.LockRegion(p.x, p.y, p.cols, p.rows, false)
	}
	g.shown = g.shown[:0]
}

func (g *graphics) write(screen tcell.Screen, b []byte) {
	out := g.Out
	if out == nil {
		tty, ok := screen.Tty()
		if !ok {
			return
		}
		out = tty
	}
	_, _ = out.Write(b)
}

// kitty places p, sending its pixels first if the terminal lacks them.
func (g *graphics) kitty(b *bytes.Buffer, p placement) {
	if !slices.Contains(g.sent, p.pic.id) {
		kittyTransmit(b, p.pic.img, p.pic.id)
		g.sent = append(g.sent, p.pic.id)
		if len(g.sent) > kittyKept {
			fmt.Fprintf(b, "\x1b_Ga=d,d=I,i=%d,q=2\x1b\\", g.sent[0])
			g.sent = g.sent[1:]
		}
	}
	fmt.Fprintf(b, "\x1b_Ga=p,i=%d,c=%d,r=%d,C=1,q=2\x1b\\", p.pic.id, p.cols, p.rows)
}

// kittyTransmit sends img as PNG under id, in chunks of at most 4096
// base64 bytes as the protocol asks.
func kittyTransmit(b *bytes.Buffer, img image.Image, id uint32) {
	var raw bytes.Buffer
	_ = png.Encode(&raw, img) // into memory: cannot fail
	data := base64.StdEncoding.EncodeToString(raw.Bytes())
	for first := true; first || data != ""; first = false {
		n := min(len(data), 4096)
		more := 0
		if n < len(data) {
			more = 1
		}
		if first {
			fmt.Fprintf(b, "\x1b_Ga=t,f=100,t=d,i=%d,q=2,m=%d;%s\x1b\\", id, more, data[:n])
		} else {
			fmt.Fprintf(b, "\x1b_Gm=%d;%s\x1b\\", more, data[:n])
		}
		data = data[n:]
	}
}

// iterm2Image is iTerm2's inline image escape for img over cols × rows
// cells.
func iterm2Image(img image.Image, cols, rows int) string {
	var raw bytes.Buffer
	_ = png.Encode(&raw, img)
	return "\x1b]1337;File=inline=1;size=" + strconv.Itoa(raw.Len()) +
		";width=" + strconv.Itoa(cols) + ";height=" + strconv.Itoa(rows) +
		";preserveAspectRatio=1:" + base64.StdEncoding.EncodeToString(raw.Bytes()) + "\a"
}

// sixelImage encodes img as sixel, at most maxHigh pixels high (the
// rows it is given: a sixel image is never scaled by the terminal). Its
// colours are reduced to Plan 9's 256 with Floyd–Steinberg dithering;
// transparent pixels are left unpainted.
func sixelImage(img *image.NRGBA, maxHigh int) string {
	b := img.Bounds()
	w, h := b.Dx(), min(b.Dy(), maxHigh)
	pal := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
	draw.FloydSteinberg.Draw(pal, pal.Bounds(), img, b.Min)
	clear := func(x, y int) bool { return img.NRGBAAt(b.Min.X+x, b.Min.Y+y).A < 0x80 }

	var out bytes.Buffer
	// P2=1: pixels no colour paints keep the cell's background.
	fmt.Fprintf(&out, "\x1bP0;1;0q\"1;1;%d;%d", w, h)
	used := make([]bool, len(palette.Plan9))
	for y := range h {
		for x := range w {
			if !clear(x, y) {
				used[pal.ColorIndexAt(x, y)] = true
			}
		}
	}
	for i, c := range palette.Plan9 {
		if used[i] {
			r, g, bl, _ := c.RGBA()
			fmt.Fprintf(&out, "#%d;2;%d;%d;%d", i, r*100/0xffff, g*100/0xffff, bl*100/0xffff)
		}
	}
	row := make([]byte, w)
	for band := 0; band < h; band += 6 {
		inBand := make([]bool, len(palette.Plan9))
		for y := band; y < min(band+6, h); y++ {
			for x := range w {
				if !clear(x, y) {
					inBand[pal.ColorIndexAt(x, y)] = true
				}
			}
		}
		first := true
		for i := range inBand {
			if !inBand[i] {
				continue
			}
			if !first {
				out.WriteByte('$') // back to the band's start for the next colour
			}
			first = false
			for x := range w {
				bits := byte(0)
				for k := range 6 {
					if y := band + k; y < h && !clear(x, y) && int(pal.ColorIndexAt(x, y)) == i {
						bits |= 1 << k
					}
				}
				row[x] = '?' + bits
			}
			fmt.Fprintf(&out, "#%d", i)
			sixelRun(&out, row)
		}
		out.WriteByte('-')
	}
	out.WriteString("\x1b\\")
	return out.String()
}

// sixelRun writes a row of sixel characters, runs of four or more as
// "!n<char>".
func sixelRun(out *bytes.Buffer, row []byte) {
	for i := 0; i < len(row); {
		j := i
		for j < len(row) && row[j] == row[i] {
			j++
		}
		if n := j - i; n >= 4 {
			fmt.Fprintf(out, "!%d%c", n, row[i])
		} else {
			out.Write(row[i:j])
		}
		i = j
	}
}
