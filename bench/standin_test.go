package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"qqconnect/internal/testlog"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// The stand-in is the least a QQ callback can do, measured in the same run
// as the product so its CPU has something to be compared with (these
// machines are noisy): the three QQ calls with plain net/http, one indexed
// query, a cookie and the redirect. No state check, no session, no Discuz
// rows. It runs as this test binary re-executed with standinEnv set, so
// /proc sees it alone.
const standinEnv = "QQCB_STANDIN"

func TestMain(m *testing.M) {
	if os.Getenv(standinEnv) != "" {
		if err := runStandin(); err != nil {
			fmt.Fprintln(os.Stderr, "stand-in:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startStandin runs the stand-in on addr against the forum's database and
// the emulator; it answers GET /cb?code=… like a callback.
func startStandin(t *testing.T, f *forum, addr, qqBase, redirectURI string) *serve {
	s := &serve{url: "http://" + addr, log: &testlog.Buffer{Max: 1 << 20}}
	s.cmd = exec.Command(os.Args[0], "-test.run=^$")
	s.cmd.Env = append(os.Environ(), standinEnv+"=1", "STANDIN_ADDR="+addr, "STANDIN_DSN="+f.dsn,
		"STANDIN_QQ="+qqBase, "STANDIN_APPID="+appID, "STANDIN_APPKEY="+f.appKey, "STANDIN_REDIRECT="+redirectURI,
		"STANDIN_TABLE=pre_common_member_connect")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	must(t, s.cmd.Start(), "start the stand-in")
	s.pid = s.cmd.Process.Pid
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stand-in not ready: %s", s.log.String())
		}
	}
}

func runStandin() error {
	env := os.Getenv
	db, err := sql.Open("mysql", env("STANDIN_DSN"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	hc := &http.Client{Transport: newTransport(), Timeout: 10 * time.Second}
	base, lookup := env("STANDIN_QQ"), "SELECT uid FROM "+env("STANDIN_TABLE")+" WHERE conopenid = ?"
	get := func(ctx context.Context, path string, q url.Values, v any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		var me struct {
			OpenID string `json:"openid"`
		}
		var info struct {
			Ret      int    `json:"ret"`
			Nickname string `json:"nickname"`
		}
		err := get(ctx, "/oauth2.0/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {env("STANDIN_APPID")},
			"client_secret": {env("STANDIN_APPKEY")}, "code": {r.URL.Query().Get("code")}, "redirect_uri": {env("STANDIN_REDIRECT")}, "fmt": {"json"}}, &tok)
		if err == nil {
			err = get(ctx, "/oauth2.0/me", url.Values{"access_token": {tok.AccessToken}, "fmt": {"json"}}, &me)
		}
		if err == nil {
			err = get(ctx, "/user/get_user_info", url.Values{"access_token": {tok.AccessToken}, "oauth_consumer_key": {env("STANDIN_APPID")}, "openid": {me.OpenID}}, &info)
		}
		var uid int64
		if err == nil {
			err = db.QueryRowContext(ctx, lookup, me.OpenID).Scan(&uid)
		}
		if err != nil || uid == 0 || info.Ret != 0 {
			http.Error(w, fmt.Sprintf("stand-in callback: uid %d ret %d: %v", uid, info.Ret, err), http.StatusBadGateway)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "standin_auth", Value: fmt.Sprint(uid), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/", http.StatusFound)
	})
	ln, err := net.Listen("tcp", env("STANDIN_ADDR"))
	if err != nil {
		return err
	}
	return http.Serve(ln, mux)
}
