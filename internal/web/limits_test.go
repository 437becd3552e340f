package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// genBody streams prefix followed by n filler bytes without allocating
// them, and counts how much the server side read.
type genBody struct {
	prefix string
	n      int64 // filler bytes still to produce
	read   int64
}

func (g *genBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	k := 0
	for k < len(p) && len(g.prefix) > 0 {
		c := copy(p[k:], g.prefix)
		g.prefix = g.prefix[c:]
		k += c
	}
	for ; k < len(p) && g.n > 0; k++ {
		p[k] = 'a'
		g.n--
	}
	g.read += int64(k)
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

func (g *genBody) Close() error { return nil }

const testBoundary = "XqqconnectX"

// formBody is an urlencoded form with the CSRF token and a field of n bytes.
func formBody(n int64) *genBody { return &genBody{prefix: "_csrf=tok&v=", n: n} }

func multipartBody(n int64) *genBody {
	return &genBody{prefix: "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n--" +
		testBoundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n\r\n", n: n}
}

// limitedEngine is LimitBody in front of a handler that reads the form the
// way the CSRF check does (c.PostForm) and refuses without a token.
func limitedEngine() *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(LimitBody(MaxFormBytes))
	h := func(c *gin.Context) {
		if c.Request.Method == http.MethodPost && c.PostForm("_csrf") != "tok" {
			c.String(http.StatusForbidden, "csrf")
			return
		}
		c.String(http.StatusOK, "v=%d", len(c.PostForm("v")))
	}
	r.POST("/form", h)
	r.GET("/form", h)
	return r
}

func TestLimitBody(t *testing.T) {
	const prefixLen = int64(len("_csrf=tok&v="))
	urlencoded := "application/x-www-form-urlencoded"
	cases := []struct {
		name    string
		method  string
		ctype   string
		body    *genBody // nil: no body
		chunked bool     // no Content-Length: the size is only known by reading
		status  int
		reply   string // substring of the reply
		maxRead int64  // the most the server may read of the body
	}{
		{"small form", http.MethodPost, urlencoded, formBody(100), false, http.StatusOK, "v=100", 1 << 20},
		{"form of exactly the cap", http.MethodPost, urlencoded, formBody(MaxFormBytes - prefixLen), false,
			http.StatusOK, "v=16372", 1 << 20},
		{"one byte over the cap", http.MethodPost, urlencoded, formBody(MaxFormBytes - prefixLen + 1), false,
			http.StatusRequestEntityTooLarge, "请求内容过大 / Request body too large", 0},
		{"10 MiB form", http.MethodPost, urlencoded, formBody(10 << 20), false,
			http.StatusRequestEntityTooLarge, "Request body too large", 0},
		{"10 MiB form, chunked", http.MethodPost, urlencoded, formBody(10 << 20), true,
			http.StatusRequestEntityTooLarge, "请求内容过大", MaxFormBytes + 1},
		{"small form, chunked", http.MethodPost, urlencoded, formBody(300), true, http.StatusOK, "v=300", 1 << 20},
		{"small multipart", http.MethodPost, "multipart/form-data; boundary=" + testBoundary, multipartBody(10), false,
			http.StatusUnsupportedMediaType, "不支持的请求格式", 0},
		{"800 MiB multipart, chunked", http.MethodPost, "Multipart/Form-Data; boundary=" + testBoundary,
			multipartBody(800 << 20), true, http.StatusUnsupportedMediaType, "multipart", 0},
		{"800 MiB multipart with length", http.MethodPost, "multipart/form-data; boundary=" + testBoundary,
			multipartBody(800 << 20), false, http.StatusRequestEntityTooLarge, "Request body too large", 0},
		{"multipart/mixed", http.MethodPost, " multipart/mixed; boundary=" + testBoundary, multipartBody(10), true,
			http.StatusUnsupportedMediaType, "multipart", 0},
		{"GET without body", http.MethodGet, "", nil, false, http.StatusOK, "v=0", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/form", nil)
			if tc.body != nil {
				req.Body = tc.body
				req.ContentLength = int64(len(tc.body.prefix)) + tc.body.n
				if tc.chunked {
					req.ContentLength = -1
					req.TransferEncoding = []string{"chunked"}
				}
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			limitedEngine().ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.reply) {
				t.Fatalf("status %d %q, want %d with %q", rec.Code, rec.Body.String(), tc.status, tc.reply)
			}
			if tc.body != nil && tc.body.read > tc.maxRead {
				t.Errorf("server read %d bytes of the body, want at most %d", tc.body.read, tc.maxRead)
			}
			if tc.status != http.StatusOK {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("refusal Content-Type %q, want text/plain", ct)
				}
				// Connection: close tells net/http not to drain the rest.
				if rec.Header().Get("Connection") != "close" {
					t.Error("refusal without Connection: close")
				}
			}
		})
	}
}
