package sandbox

import (
	"image/jpeg"
	"net/http"
	"testing"
)

// A client that accepts only JPEG or PNG (qqconnect's avatar import) gets a
// JPEG of the advertised size, as QQ's avatar hosts answer; browsers keep
// getting the SVG.
func TestAvatarRaster(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		accept string
		jpeg   bool
	}{
		{"image/jpeg, image/png", true},
		{"image/png", true},
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", false},
		{"", false},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+prefix+"/avatar/"+openid10001+"/100", nil)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		ct := resp.Header.Get("Content-Type")
		if !c.jpeg {
			resp.Body.Close()
			if ct != "image/svg+xml" {
				t.Errorf("Accept %q: %s, want the SVG", c.accept, ct)
			}
			continue
		}
		img, err := jpeg.Decode(resp.Body)
		resp.Body.Close()
		if ct != "image/jpeg" || err != nil {
			t.Fatalf("Accept %q: %s %v", c.accept, ct, err)
		}
		if b := img.Bounds(); b.Dx() != 100 || b.Dy() != 100 {
			t.Errorf("Accept %q: %d×%d, want 100×100", c.accept, b.Dx(), b.Dy())
		}
		// 沙箱企鹅's colour at the corner, white in the middle.
		if r, g, b, _ := img.At(2, 2).RGBA(); r>>8 > 0x30 || g>>8 < 0xA0 || b>>8 < 0xE0 {
			t.Errorf("corner colour %x %x %x, want about #12B7F5", r>>8, g>>8, b>>8)
		}
		if r, _, _, _ := img.At(50, 50).RGBA(); r>>8 < 0xF0 {
			t.Errorf("centre not white")
		}
	}
}
