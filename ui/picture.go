package ui

import (
	"image"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/picture"
)

// A picture in the log is drawn with Unicode half-blocks: each cell is
// "▀" with its upper pixel as the foreground colour and its lower one
// as the background, so a cell holds two square-ish pixels. Every
// terminal draws it, tmux too; it needs colours (tcell reduces them to
// the terminal's palette).

// thumbCols and thumbRows bound a picture in the log, in cells.
const thumbCols, thumbRows = 40, 10

// errNotPicture says a file that claims to be a picture is none rtchat
// can decode.
var errNotPicture = picture.ErrNotPicture

// thumbnail is a picture scaled to cells: w columns, h pixel rows (two
// per cell row), colours row by row; a pixel with no colour (transparent)
// is drawn in the log's background.
type thumbnail struct {
	w, h int
	px   []tcell.Color
	// sharp is the picture at the pixels of its cells, where the
	// terminal draws pixels (graphics.go), once fetched.
	sharp *sharpPicture
}

func (t *thumbnail) rows() int { return (t.h + 1) / 2 }

// makeThumbnail decodes a picture (refusing a decompression bomb from its
// header) and scales it to fit cols × rows cells (never larger than it is).
func makeThumbnail(data []byte, cols, rows int) (*thumbnail, error) {
	img, err := picture.Decode(data)
	if err != nil {
		return nil, err
	}
	return scaleToCells(img, cols, rows), nil
}

// previewThumbnail draws the small preview a picture's message carries
// (see picture.Preview): the log shows it before, or instead of,
// fetching the file.
func previewThumbnail(data []byte, cols, rows int) (*thumbnail, error) {
	img, err := picture.DecodePreview(data)
	if err != nil {
		return nil, err
	}
	return scaleToCells(img, cols, rows), nil
}

// scaleToCells averages img's pixels into at most cols × 2·rows pixels,
// keeping its proportions.
func scaleToCells(img image.Image, cols, rows int) *thumbnail {
	w, h := picture.Fit(img.Bounds().Dx(), img.Bounds().Dy(), cols, 2*rows)
	small := picture.Scale(img, w, h)
	t := &thumbnail{w: w, h: h, px: make([]tcell.Color, w*h)}
	for y := range h {
		for x := range w {
			c := small.NRGBAAt(x, y)
			t.px[y*w+x] = tcell.ColorDefault
			if c.A >= 0x80 {
				t.px[y*w+x] = tcell.NewRGBColor(int32(c.R), int32(c.G), int32(c.B))
			}
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
