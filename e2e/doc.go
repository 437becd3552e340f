// Package e2e holds the real-browser end-to-end test of the standalone
// product: it builds the qqconnect binary, starts it on a loopback port with a
// fresh SQLite demo forum and the built-in QQ sandbox, and drives headless
// Chromium (Debian's chromium package, /usr/bin/chromium) through chromedp
// over the forum's and the sandbox's real pages: register through QQ, bind an
// existing account while logged in, bind with a password on the bind page,
// unbind, and the phone layout; and, in its own server, the admin toolbox
// under /admin/: sign-in (a member is refused), dashboard, doctor, the
// plugin-disable repair with its preview, audit entry and undo as a visitor
// sees them, set-app-key (the AppKey never shown in full), and the phone
// layout of the admin pages.
//
// Run it with
//
//	go test -count=1 ./e2e/
//
// Without Chromium the test is skipped, except with CI=true, where a missing
// browser is a failure; E2E_CHROMIUM names another Chromium binary. Set E2E_SCREENSHOTS to a directory to keep PNG
// screenshots of the bind page, the forum index and the admin dashboard,
// doctor and repair preview, on a desktop and on a phone viewport. The browser may reach only 127.0.0.1: every other host
// fails to resolve, and any request to one fails the test.
package e2e
