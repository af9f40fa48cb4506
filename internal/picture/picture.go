// Package picture decodes the pictures files carry, with a size cap
// checked before any pixel is decoded, and makes the small preview a
// sender puts in a picture's message. It uses the standard library's
// decoders and golang.org/x/image's (no cgo).
package picture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders for image.Decode
	"image/jpeg"
	"image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

const (
	// MaxPixels is the largest picture decoded (width × height): a
	// "decompression bomb" (a small file that says it is 100000 × 100000)
	// is refused from its header, before any pixel is decoded.
	MaxPixels = 50_000_000
	// PreviewWidth and PreviewHeight bound a preview, in pixels: twice
	// what the log's half-block drawing of 40 × 10 cells shows.
	PreviewWidth, PreviewHeight = 80, 40
	// MaxPreviewBytes is the largest preview a message carries (its
	// encoded bytes); a bigger one is left out.
	MaxPreviewBytes = 12 << 10
)

// ErrNotPicture says the bytes are no picture rtchat can decode.
var ErrNotPicture = errors.New("not a picture rtchat can draw")

// Decode decodes a picture, refusing one of more than MaxPixels from its
// header alone.
func Decode(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrNotPicture
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("the picture is %d × %d pixels, too large to draw", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotPicture
	}
	return img, nil
}

// Fit is the size of a w × h picture scaled to fit maxW × maxH, keeping
// its proportions, never enlarged, at least 1 × 1.
func Fit(w, h, maxW, maxH int) (int, int) {
	scale := min(float64(maxW)/float64(w), float64(maxH)/float64(h), 1)
	return max(int(float64(w)*scale), 1), max(int(float64(h)*scale), 1)
}

// Scale averages img's pixels into a w × h picture (non-premultiplied
// colours). Each target pixel averages a grid of samples of its source
// box, at most 8 × 8: enough for a small picture, bounded for a big one.
func Scale(img image.Image, w, h int) *image.NRGBA {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
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
			c := color.NRGBA{A: uint8(a / n >> 8)}
			if a > 0 { // premultiplied: divide by alpha for the colour
				c.R, c.G, c.B = uint8(r*255/a), uint8(g*255/a), uint8(bl*255/a)
			}
			out.SetNRGBA(tx, ty, c)
		}
	}
	return out
}

// Preview makes the small picture a sender puts in a picture's message
// (at most PreviewWidth × PreviewHeight, JPEG, or PNG when it has
// transparency), so that readers draw it at once without fetching the
// file. It fails on what is not a picture, and on a preview over
// MaxPreviewBytes.
func Preview(data []byte) ([]byte, error) {
	img, err := Decode(data)
	if err != nil {
		return nil, err
	}
	w, h := Fit(img.Bounds().Dx(), img.Bounds().Dy(), PreviewWidth, PreviewHeight)
	small := Scale(img, w, h)
	var out bytes.Buffer
	if small.Opaque() {
		err = jpeg.Encode(&out, small, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&out, small)
	}
	if err != nil {
		return nil, fmt.Errorf("encode the preview: %w", err)
	}
	if out.Len() > MaxPreviewBytes {
		return nil, fmt.Errorf("the preview is %d bytes, more than %d", out.Len(), MaxPreviewBytes)
	}
	return out.Bytes(), nil
}

// DecodePreview decodes a preview a message carries, refusing one larger
// than a preview may be.
func DecodePreview(data []byte) (image.Image, error) {
	if len(data) > MaxPreviewBytes {
		return nil, ErrNotPicture
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > PreviewWidth || cfg.Height > PreviewHeight {
		return nil, ErrNotPicture
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotPicture
	}
	return img, nil
}
