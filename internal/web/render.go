package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Page is what every page template receives: the common frame plus the
// page's own data in Data.
type Page struct {
	Title   string // shown as "Title · qqconnect"
	CSRF    string
	Flash   string
	Error   string // a refusal or validation message (Chinese first, English second)
	ErrorEN string
	Sandbox bool
	User    string // the signed-in administrator on admin pages
	Data    any
	Refresh int // seconds until the page reloads itself (0: never)
	// RefreshTo is where the Refresh goes instead of reloading (a local path).
	RefreshTo string
}

// Renderer executes the embedded templates; parsed once at start-up.
type Renderer struct {
	t   *template.Template
	log *slog.Logger
}

// NewRenderer parses every page and partial (files matching patterns) of fsys.
func NewRenderer(fsys fs.FS, log *slog.Logger, patterns ...string) (*Renderer, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"inc": func(i int) int { return i + 1 },
		"unixtime": func(ts int64) string {
			if ts <= 0 {
				return "—"
			}
			return time.Unix(ts, 0).UTC().Format("2006-01-02 15:04:05 UTC")
		},
	}).ParseFS(fsys, patterns...)
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return &Renderer{t: t, log: log}, nil
}

// HTML renders template name into the response. It renders to a buffer first
// so a template error never leaves half a page behind.
func (r *Renderer) HTML(c *gin.Context, status int, name string, p *Page) {
	if p.CSRF == "" {
		p.CSRF = CSRFToken(c)
	}
	if p.Flash == "" {
		p.Flash = TakeFlash(c)
	}
	var buf bytes.Buffer
	if err := r.t.ExecuteTemplate(&buf, name, p); err != nil {
		r.log.Error("render template", "template", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error / 内部错误")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
