package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// MaxFormBytes caps every request body. The largest legitimate body is the
// admin set-app-key confirmation: _csrf (~44 bytes), the sealed AppID/AppKey
// (~170 bytes of base64), confirm=yes and a re-typed password; the bind and
// register forms stay below 2 KiB even with a long Chinese username
// percent-encoded. The sandbox's OAuth token POSTs are a few hundred bytes.
// 16 KiB keeps a wide margin over all of them and still refuses what made
// the process grow (10 MiB forms, multipart uploads spooled to /tmp).
const MaxFormBytes int64 = 16 << 10

// LimitBody refuses an oversized or multipart body before anything parses
// it, and otherwise reads the (small) body into memory so that a body which
// turns out too large while reading (chunked, no Content-Length) ends as 413
// here instead of as an empty form further down (a 403 from the CSRF check).
// It must run before every middleware that reads the form.
func LimitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		// Announced too large: refuse without reading a byte.
		if r.ContentLength > max {
			refuseBody(c, http.StatusRequestEntityTooLarge)
			return
		}
		// No form of qqconnect uploads files; net/http would spool the parts
		// of a multipart body to os.TempDir before any handler could refuse.
		if isMultipart(r.Header.Get("Content-Type")) {
			refuseBody(c, http.StatusUnsupportedMediaType)
			return
		}
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			c.Next()
			return
		}
		// The unwrapped writer lets net/http mark the connection for closing
		// when the limit is hit.
		buf, err := io.ReadAll(http.MaxBytesReader(unwrapWriter(c.Writer), r.Body, max))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				refuseBody(c, http.StatusRequestEntityTooLarge)
				return
			}
			// The client hung up or timed out mid-body: nothing to serve.
			refuseBody(c, http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(buf))
		c.Next()
	}
}

// isMultipart reports whether a Content-Type is any multipart/* type
// (media types are case-insensitive).
func isMultipart(contentType string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/")
}

// unwrapWriter returns the net/http ResponseWriter under gin's.
func unwrapWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

var bodyRefusals = map[int]string{
	http.StatusRequestEntityTooLarge: "请求内容过大 / Request body too large",
	http.StatusUnsupportedMediaType:  "不支持的请求格式：本站表单不接受文件上传（multipart） / Unsupported request format: these forms take no file uploads (multipart)",
	http.StatusBadRequest:            "请求内容不完整 / Incomplete request body",
}

// refuseBody answers a short plain text and closes the connection, so that
// net/http does not read (drain) the rest of an unwanted body either.
func refuseBody(c *gin.Context, status int) {
	c.Header("Connection", "close")
	c.Data(status, "text/plain; charset=utf-8", []byte(bodyRefusals[status]+"\n"))
	c.Abort()
}
