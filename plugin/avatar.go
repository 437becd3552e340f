package plugin

// The QQ avatar import (the admin switch models.MetaAvatarImport): after a
// QQ registration, bind or login of a member without an avatar, the QQ
// avatar becomes the member's Discuz avatar, in the background so a slow
// QQ avatar host never slows a login.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/rowcache"
	"qqconnect/models"
)

// Bounds of one avatar import.
const (
	AvatarTimeout    = 10 * time.Second // the whole import: fetch, resize, files, row
	AvatarMaxBytes   = 2 << 20          // Discuz's avatar upload limit (uploadSize=2048 KB)
	AvatarMaxSide    = 4096             // larger pictures are refused before they are decoded
	AvatarWorkers    = 2                // imports at once; more are left for the member's next login
	AvatarRetryAfter = time.Hour        // a member whose import failed is not tried again sooner
	avatarRedirects  = 3
)

// AvatarImporter copies QQ avatars into the forum's avatar files.
type AvatarImporter struct {
	Files    *discuz.AvatarStore
	Store    *models.Store
	Client   *http.Client         // nil: NewAvatarClient()
	RowCache rowcache.Invalidator // Discuz's cached member rows; nil when none
	Log      *slog.Logger
	Now      func() time.Time

	mu     sync.Mutex
	busy   map[int64]bool
	failed map[int64]time.Time // uid → when it may be tried again
	closed bool
	wg     sync.WaitGroup
	slots  chan struct{}
}

// NewAvatarClient is the HTTP client of the avatar fetch: no cookies, at
// most three redirects and only to http(s) URLs; the deadline comes from
// the import's context.
func NewAvatarClient() *http.Client {
	return &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= avatarRedirects {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to a %q URL", req.URL.Scheme)
		}
		return nil
	}}
}

// Queue starts the import of uid's avatar from rawURL in the background and
// reports whether it did: not when the importer is closed, already busy with
// uid, has all its workers busy, or failed for uid within AvatarRetryAfter
// (the member's next login tries again). It never blocks.
func (im *AvatarImporter) Queue(uid int64, rawURL string) bool {
	im.mu.Lock()
	if im.slots == nil {
		im.slots = make(chan struct{}, AvatarWorkers)
		im.busy, im.failed = map[int64]bool{}, map[int64]time.Time{}
	}
	if im.closed || im.busy[uid] || im.now().Before(im.failed[uid]) {
		im.mu.Unlock()
		return false
	}
	select {
	case im.slots <- struct{}{}:
	default:
		im.mu.Unlock()
		return false
	}
	im.busy[uid] = true
	im.wg.Add(1)
	im.mu.Unlock()
	go func() {
		defer im.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), AvatarTimeout)
		err := im.Import(ctx, uid, rawURL)
		cancel()
		im.mu.Lock()
		delete(im.busy, uid)
		if err != nil {
			im.rememberFailure(uid)
		}
		im.mu.Unlock()
		<-im.slots
	}()
	return true
}

// rememberFailure keeps uid out for AvatarRetryAfter; the map is pruned of
// expired entries when it grows, so a flood of failures cannot grow it far.
func (im *AvatarImporter) rememberFailure(uid int64) {
	now := im.now()
	if len(im.failed) >= 10000 {
		for k, until := range im.failed {
			if !now.Before(until) {
				delete(im.failed, k)
			}
		}
	}
	if len(im.failed) < 10000 {
		im.failed[uid] = now.Add(AvatarRetryAfter)
	}
}

// Wait blocks until every queued import has finished.
func (im *AvatarImporter) Wait() { im.wg.Wait() }

// Close stops new imports and waits for the running ones until ctx ends.
func (im *AvatarImporter) Close(ctx context.Context) error {
	im.mu.Lock()
	im.closed = true
	im.mu.Unlock()
	done := make(chan struct{})
	go func() { im.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("avatar imports still running: %w", ctx.Err())
	}
}

// Import makes the QQ picture at rawURL the member's avatar when the member
// has no avatar file: the three files first, then avatarstatus=1, as Discuz
// does. A failure at any step leaves no file and no flag behind.
func (im *AvatarImporter) Import(ctx context.Context, uid int64, rawURL string) error {
	log := im.log().With("uid", uid)
	if im.Files.Has(uid) {
		log.Debug("QQ avatar not imported: the member has an avatar file")
		return nil
	}
	img, err := im.fetch(ctx, rawURL)
	if err != nil {
		log.Warn("QQ avatar not imported: the picture could not be fetched; the member keeps no avatar", "err", err)
		return err
	}
	files, err := discuz.AvatarImages(img)
	if err != nil {
		log.Warn("QQ avatar not imported", "err", err)
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := im.Files.Write(uid, files); err != nil {
		if errors.Is(err, discuz.ErrAvatarExists) {
			log.Info("QQ avatar not imported: the member got an avatar meanwhile")
			return nil
		}
		log.Error("QQ avatar not imported: writing the avatar files failed", "dir", im.Files.Dir, "err", err)
		return err
	}
	changed, err := im.Store.SetAvatarStatus(ctx, uid)
	if err != nil {
		if rerr := im.Files.Remove(uid); rerr != nil {
			log.Error("could not remove the avatar files after a failed avatarstatus update", "err", rerr)
		}
		log.Error("QQ avatar not imported: avatarstatus could not be set; the files were removed", "err", err)
		return err
	}
	if im.RowCache != nil {
		if err := im.RowCache.InvalidateMember(ctx, uid); err != nil {
			log.Warn("could not drop Discuz's cached member rows; the forum shows the old avatarstatus until 内存清理", "err", err)
		}
	}
	log.Info("QQ avatar imported", "avatarstatus_changed", changed)
	return nil
}

// fetch downloads and decodes the picture: a 200 answer of image/jpeg or
// image/png whose bytes are that format, at most AvatarMaxBytes and
// AvatarMaxSide on either side.
func (im *AvatarImporter) fetch(ctx context.Context, rawURL string) (image.Image, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	// Only raster pictures (the sandbox answers such a client with a JPEG).
	req.Header.Set("Accept", "image/jpeg, image/png")
	client := im.Client
	if client == nil {
		client = NewAvatarClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u.Host, resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	want := map[string]string{"image/jpeg": "jpeg", "image/jpg": "jpeg", "image/png": "png"}[strings.ToLower(mt)]
	if want == "" {
		return nil, fmt.Errorf("GET %s: Content-Type %q is not image/jpeg or image/png", u.Host, mt)
	}
	if resp.ContentLength > AvatarMaxBytes {
		return nil, fmt.Errorf("GET %s: %d bytes, over %d", u.Host, resp.ContentLength, AvatarMaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, AvatarMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Host, err)
	}
	if len(body) > AvatarMaxBytes {
		return nil, fmt.Errorf("GET %s: over %d bytes", u.Host, AvatarMaxBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != want {
		return nil, fmt.Errorf("GET %s: the body is not a %s picture", u.Host, want)
	}
	if cfg.Width > AvatarMaxSide || cfg.Height > AvatarMaxSide {
		return nil, fmt.Errorf("GET %s: %d×%d picture, over %d", u.Host, cfg.Width, cfg.Height, AvatarMaxSide)
	}
	var img image.Image
	if want == "png" {
		img, err = png.Decode(bytes.NewReader(body))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(body))
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: decode %s: %w", u.Host, want, err)
	}
	return img, nil
}

func (im *AvatarImporter) log() *slog.Logger {
	if im.Log != nil {
		return im.Log
	}
	return slog.Default()
}

func (im *AvatarImporter) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

// offerAvatar queues the import of the member's QQ avatar when the site's
// switch is on and the member has no avatar flag; otherwise it does
// nothing (no statement, no call: the login is measured by issue 12).
func (s *Service) offerAvatar(q *models.QQSettings, m *models.Member, avatarURL string) {
	if s.Avatars == nil || q == nil || !q.AvatarImport || m == nil || m.AvatarStatus != 0 || avatarURL == "" {
		return
	}
	s.Avatars.Queue(m.UID, avatarURL)
}
