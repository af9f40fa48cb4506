package picture

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
)

func photo(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is a PNG header that claims w × h pixels, with no pixels.
func bomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// A preview fits 80 × 40 with the picture's proportions, is a JPEG for
// an opaque picture and a PNG (keeping transparency) for one with
// transparent pixels; a bomb and what is no picture have none.
func TestPreview(t *testing.T) {
	p, err := Preview(photo(t, 4000, 3000))
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(p))
	if err != nil || format != "jpeg" || cfg.Width != 53 || cfg.Height != 40 {
		t.Fatalf("a 4000 × 3000 photo's preview is a %s of %d × %d (%v), want a jpeg of 53 × 40", format, cfg.Width, cfg.Height, err)
	}
	if _, err := DecodePreview(p); err != nil {
		t.Fatalf("the preview does not decode as one: %v", err)
	}
	clear := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	clear.Set(0, 0, color.NRGBA{0, 0, 255, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, clear)
	p, err = Preview(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := image.Decode(bytes.NewReader(p))
	if err != nil || format != "png" {
		t.Fatalf("a transparent picture's preview is a %s (%v)", format, err)
	}
	if _, _, _, a := img.At(5, 5).RGBA(); a != 0 {
		t.Errorf("a transparent pixel has alpha %d in the preview", a)
	}
	if _, err := Preview(bomb(100000, 100000)); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a decompression bomb: %v", err)
	}
	if _, err := Preview([]byte("hello")); err != ErrNotPicture {
		t.Errorf("no picture: %v", err)
	}
}

// DecodePreview refuses what no sender's Preview makes: a picture over
// 80 × 40, bytes over the cap.
func TestDecodePreviewRefusesBigOnes(t *testing.T) {
	if _, err := DecodePreview(photo(t, 81, 40)); err != ErrNotPicture {
		t.Errorf("81 × 40: %v", err)
	}
	if _, err := DecodePreview(bomb(60000, 40)); err != ErrNotPicture {
		t.Errorf("a wide bomb: %v", err)
	}
	if _, err := DecodePreview(make([]byte, MaxPreviewBytes+1)); err != ErrNotPicture {
		t.Errorf("over the cap: %v", err)
	}
}

// BenchmarkPreviewJPEG is what a sender spends once on a 4000 × 3000
// photo's preview (decode, scale, encode).
func BenchmarkPreviewJPEG(b *testing.B) {
	data := photo(b, 4000, 3000)
	for b.Loop() {
		if _, err := Preview(data); err != nil {
			b.Fatal(err)
		}
	}
}
