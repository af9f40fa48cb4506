package ui

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/picture"
)

func encodedJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG header that claims w × h pixels, with no pixels.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// A picture whose header claims more pixels than the cap is refused
// before any pixel is decoded; bytes that are no picture are refused.
func TestPictureLimits(t *testing.T) {
	if _, err := makeThumbnail(bombPNG(100000, 100000), thumbCols, thumbRows); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("a decompression bomb: %v", err)
	}
	if _, err := makeThumbnail([]byte("hello, I am not a picture"), thumbCols, thumbRows); err != errNotPicture {
		t.Fatalf("not a picture: %v", err)
	}
	th, err := makeThumbnail(encodedJPEG(t, 400, 100), thumbCols, thumbRows)
	if err != nil {
		t.Fatal(err)
	}
	if th.w != 40 || th.h != 10 {
		t.Fatalf("400 × 100 fits as %d × %d pixels, want 40 × 10 (proportions kept)", th.w, th.h)
	}
	// Transparent pixels are left to the background.
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	img.Set(0, 0, color.NRGBA{0, 0, 255, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	th, err = makeThumbnail(b.Bytes(), thumbCols, thumbRows)
	if err != nil {
		t.Fatal(err)
	}
	if th.px[0] == th.px[1] {
		t.Fatalf("the opaque pixel and a transparent one look alike: %v %v", th.px[0], th.px[1])
	}
}

// BenchmarkThumbnailJPEG: a 4000 × 3000 photo to its thumbnail (decode
// and scale; drawing the cells is a few hundred SetContent calls).
func BenchmarkThumbnailJPEG(b *testing.B) {
	data := encodedJPEG(b, 4000, 3000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := makeThumbnail(data, thumbCols, thumbRows); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThumbnailFromPreview: what a reader spends to draw a
// 4000 × 3000 photo in the log from the preview its message carries
// (decode the preview, scale it to cells, draw every cell), the sender
// having made the preview once (internal/picture BenchmarkPreviewJPEG).
func BenchmarkThumbnailFromPreview(b *testing.B) {
	preview, err := picture.Preview(encodedJPEG(b, 4000, 3000))
	if err != nil {
		b.Fatal(err)
	}
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		b.Fatal(err)
	}
	defer screen.Fini()
	screen.SetSize(80, 24)
	b.ResetTimer()
	for b.Loop() {
		th, err := previewThumbnail(preview, thumbCols, thumbRows)
		if err != nil {
			b.Fatal(err)
		}
		for r := range th.rows() {
			th.drawRow(screen, 0, r, 80, r)
		}
	}
}
