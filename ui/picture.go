package ui

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for image.Decode
	_ "image/jpeg"
	_ "image/png"

	"github.com/gdamore/tcell/v2"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// A picture in the log is drawn with Unicode half-blocks: each cell is
// "▀" with its upper pixel as the foreground colour and its lower one
// as the background, so a cell holds two square-ish pixels. Every
// terminal draws it, tmux too; it needs colours (tcell reduces them to
// the terminal's palette).

const (
	// thumbCols and thumbRows bound a picture in the log, in cells.
	thumbCols, thumbRows = 40, 10
	// maxPixels is the largest picture decoded (width × height): a
	// "decompression bomb" (a small file that says it is 100000 × 100000)
	// is refused from its header, before any pixel is decoded.
	maxPixels = 50_000_000
)

// errNotPicture says a file that claims to be a picture is none rtchat
// can decode.
var errNotPicture = errors.New("not a picture rtchat can draw")

// thumbnail is a picture scaled to cells: w columns, h pixel rows (two
// per cell row), colours row by row; a pixel with no colour (transparent)
// is drawn in the log's background.
type thumbnail struct {
	w, h int
	px   []tcell.Color
}

func (t *thumbnail) rows() int { return (t.h + 1) / 2 }

// makeThumbnail decodes a picture and scales it to fit cols × rows cells
// (never larger than it is).
func makeThumbnail(data []byte, cols, rows int) (*thumbnail, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errNotPicture
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errNotPicture
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("the picture is %d × %d pixels, too large to draw", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errNotPicture
	}
	return scaleToCells(img, cols, rows), nil
}

// scaleToCells averages img's pixels into at most cols × 2·rows pixels,
// keeping its proportions.
func scaleToCells(img image.Image, cols, rows int) *thumbnail {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	scale := min(float64(cols)/float64(iw), float64(2*rows)/float64(ih), 1)
	w, h := max(int(float64(iw)*scale), 1), max(int(float64(ih)*scale), 1)
	t := &thumbnail{w: w, h: h, px: make([]tcell.Color, w*h)}
	// Each target pixel averages a grid of samples of its source box (at
	// most 8 × 8: enough for a small picture, and bounded for a big one).
	for ty := range h {
		y0, y1 := b.Min.Y+ty*ih/h, b.Min.Y+(ty+1)*ih/h
		for tx := range w {
			x0, x1 := b.Min.X+tx*iw/w, b.Min.X+(tx+1)*iw/w
			var r, g, bl, a, n uint64
			sy := max((y1-y0)/8, 1)
			sx := max((x1-x0)/8, 1)
			for y := y0; y < max(y1, y0+1); y += sy {
				for x := x0; x < max(x1, x0+1); x += sx {
					cr, cg, cb, ca := img.At(x, y).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			c := tcell.ColorDefault
			if a/n >= 0x8000 {
				// Premultiplied: divide by alpha for the colour.
				c = tcell.NewRGBColor(int32(r*255/a), int32(g*255/a), int32(bl*255/a))
			}
			t.px[ty*w+tx] = c
		}
	}
	return t
}

// drawRow draws cell row r of the picture at x, y, at most width cells,
// and returns how many it drew.
func (t *thumbnail) drawRow(screen tcell.Screen, x, y, width, r int) int {
	n := min(t.w, width)
	for c := range n {
		top := t.px[2*r*t.w+c]
		bottom := tcell.ColorDefault
		if 2*r+1 < t.h {
			bottom = t.px[(2*r+1)*t.w+c]
		}
		switch {
		case top == tcell.ColorDefault && bottom == tcell.ColorDefault:
			screen.SetContent(x+c, y, ' ', nil, tcell.StyleDefault)
		case top == tcell.ColorDefault: // transparent above: the lower half alone
			screen.SetContent(x+c, y, '▄', nil, tcell.StyleDefault.Foreground(bottom))
		default:
			screen.SetContent(x+c, y, '▀', nil, tcell.StyleDefault.Foreground(top).Background(bottom))
		}
	}
	return n
}
