package sandbox

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// handleAvatar serves the generated avatar behind the figureurl fields: a
// coloured square with the nickname's first character. QQ's avatar hosts
// answer for the sizes they advertise; the sandbox knows 30, 40, 50 and 100.
func (s *Sandbox) handleAvatar(w http.ResponseWriter, r *http.Request) {
	size := r.PathValue("size")
	switch size {
	case "30", "40", "50", "100":
	default:
		http.NotFound(w, r)
		return
	}
	id, ok := s.identityByOpenID(r, r.PathValue("openid"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	fill, ok := colorHex(id.Color)
	if !ok {
		fill, _ = colorHex(defaultColor(id.QQ))
	}
	if rasterOnly(r.Header.Get("Accept")) {
		serveRaster(w, size, fill)
		return
	}
	initial := "?"
	if c, n := utf8.DecodeRuneInString(id.Nickname); n > 0 && c != utf8.RuneError {
		initial = string(c)
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	// An SVG opened directly is a document; forbid it to run anything.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 100 100">`+
		`<rect width="100" height="100" rx="14" fill="%s"/>`+
		`<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">%s</text></svg>`,
		size, size, fill, html.EscapeString(initial))
}

// rasterOnly reports an Accept header that names JPEG or PNG and not SVG
// (qqconnect's avatar import asks so): QQ's avatar hosts serve JPEG, and
// the SVG the sandbox gives browsers would not be a picture to such a client.
func rasterOnly(accept string) bool {
	a := strings.ToLower(accept)
	return (strings.Contains(a, "image/jpeg") || strings.Contains(a, "image/png")) && !strings.Contains(a, "image/svg+xml")
}

// serveRaster answers with a size×size JPEG: the identity's colour with a
// white disc in the middle (no font to draw the initial with).
func serveRaster(w http.ResponseWriter, size, fill string) {
	n, _ := strconv.Atoi(size)
	var rgb [3]uint8
	if len(fill) == 7 {
		for i := range rgb {
			v, _ := strconv.ParseUint(fill[1+2*i:3+2*i], 16, 8)
			rgb[i] = uint8(v)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	c, r := float64(n)/2, float64(n)/4
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			if dx*dx+dy*dy <= r*r {
				img.Set(x, y, color.White)
			} else {
				img.Set(x, y, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// identityByOpenID finds the user behind an openid. The index covers every
// openid the sandbox has handed out since start; after a restart the openid
// is recomputed against the configured apps, since openids are derived.
func (s *Sandbox) identityByOpenID(r *http.Request, openid string) (Identity, bool) {
	s.mu.Lock()
	qq, ok := s.openids[openid]
	s.mu.Unlock()
	if ok {
		return s.identity(qq)
	}
	if !validTokenShape(openid) {
		return Identity{}, false
	}
	apps, err := s.apps(r.Context())
	if err != nil {
		s.log.Error("sandbox cannot load apps", "err", err)
		return Identity{}, false
	}
	for _, id := range s.Identities() {
		for _, a := range apps {
			if OpenID(a.AppID, id.QQ) == openid {
				s.mu.Lock()
				s.openids[openid] = id.QQ
				s.mu.Unlock()
				return id, true
			}
		}
	}
	return Identity{}, false
}
