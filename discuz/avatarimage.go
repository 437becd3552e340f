package discuz

// The three avatar images from one picture, as Discuz's own avatar page
// makes them (static/avatar/avatar.js, the whole picture as the selection)
// and UCenter's rectavatar accepts them.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
)

// Discuz's avatar bounds: big fits 200×250, middle 120×120, neither is
// enlarged; small is the centred square scaled to exactly 48×48. UCenter
// refuses anything larger, and pictures under 10×10 (onuploadavatar: -2).
const (
	avatarBigW, avatarBigH = 200, 250
	avatarMiddle           = 120
	avatarSmall            = 48
	avatarMinSide          = 10
)

// ErrAvatarTooSmall is a picture UCenter would refuse (under 10×10).
var ErrAvatarTooSmall = errors.New("picture smaller than 10×10")

// AvatarImages returns the big, middle and small JPEG files of img, in
// AvatarSizes order: drawn on white (avatar.js fills the canvas white
// first, so a transparent PNG gets a white background) and encoded at
// quality 100 (canvas.toDataURL("image/jpeg", 1.0)).
func AvatarImages(img image.Image) ([][]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < avatarMinSide || h < avatarMinSide {
		return nil, ErrAvatarTooSmall
	}
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	full := image.Rect(0, 0, w, h)
	side := min(w, h)
	square := image.Rect((w-side)/2, (h-side)/2, (w-side)/2+side, (h-side)/2+side)
	bw, bh := fitWithin(w, h, avatarBigW, avatarBigH)
	mw, mh := fitWithin(w, h, avatarMiddle, avatarMiddle)
	out := make([][]byte, 0, 3)
	for _, s := range []struct {
		from image.Rectangle
		w, h int
	}{{full, bw, bh}, {full, mw, mh}, {square, avatarSmall, avatarSmall}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, resampleOnWhite(src, s.from, s.w, s.h), &jpeg.Options{Quality: 100}); err != nil {
			return nil, fmt.Errorf("encode avatar %d×%d: %w", s.w, s.h, err)
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}

// fitWithin is avatar.js's size for a selection of w×h under a bound:
// unchanged when it fits, else scaled by the larger ratio and floored.
func fitWithin(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	r := max(float64(w)/float64(maxW), float64(h)/float64(maxH))
	return max(1, int(float64(w)/r)), max(1, int(float64(h)/r))
}

// resampleOnWhite scales the from-rectangle of src to w×h by area
// averaging (each target pixel is the mean of the source area it covers,
// partial pixels weighted by coverage), composited over white.
func resampleOnWhite(src *image.RGBA, from image.Rectangle, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sx := float64(from.Dx()) / float64(w)
	sy := float64(from.Dy()) / float64(h)
	for dy := 0; dy < h; dy++ {
		y0 := float64(from.Min.Y) + float64(dy)*sy
		y1 := y0 + sy
		for dx := 0; dx < w; dx++ {
			x0 := float64(from.Min.X) + float64(dx)*sx
			x1 := x0 + sx
			var r, g, b, a, total float64
			for y := int(y0); float64(y) < y1 && y < from.Max.Y; y++ {
				wy := min(y1, float64(y+1)) - max(y0, float64(y))
				for x := int(x0); float64(x) < x1 && x < from.Max.X; x++ {
					wx := min(x1, float64(x+1)) - max(x0, float64(x))
					wt := wx * wy
					i := src.PixOffset(x, y)
					p := src.Pix[i : i+4 : i+4]
					r += wt * float64(p[0])
					g += wt * float64(p[1])
					b += wt * float64(p[2])
					a += wt * float64(p[3])
					total += wt
				}
			}
			if total == 0 {
				total = 1
			}
			// premultiplied colour over white: c + (255 − alpha)
			white := 255 - a/total
			i := dst.PixOffset(dx, dy)
			dst.Pix[i+0] = clamp8(r/total + white)
			dst.Pix[i+1] = clamp8(g/total + white)
			dst.Pix[i+2] = clamp8(b/total + white)
			dst.Pix[i+3] = 255
		}
	}
	return dst
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
