package testdb

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The tests run on the Discuz tables qqconnect touches, with Discuz's own
// definitions and install rows. The project carries them as its own test
// data (testdata/discuz: the CREATE TABLE and install rows of exactly these
// tables, UCenter's tables, and the live-site fixtures), cut from the
// shared Discuz install SQL by CarryDiscuzData, so a clone without
// ../shared runs every test. TestCarriedDataMatchesShared checks the
// carried files against ../shared whenever it is there (as in CI); run it
// with -update to write them again.

// CarriedTables are the Discuz tables (without prefix) whose definitions
// and install rows are carried: every table qqconnect's code or tests name.
var CarriedTables = []string{
	"common_connect_guest", "common_member", "common_member_connect", "common_mailcron", "common_mailqueue", "common_member_count",
	"common_member_field_forum", "common_member_field_home", "common_member_newprompt",
	"common_member_profile", "common_member_profile_setting", "common_member_status", "common_member_validate", "common_plugin", "common_regip",
	"common_setting", "common_stat", "common_statuser", "common_syscache", "common_uin_black",
	"common_usergroup", "common_usergroup_field", "common_member_verify", "common_member_verify_info",
	"connect_memberbindlog", "forum_post",
	"common_invite", "home_feed", "home_friend", "home_friendlog", "home_notification",
}

// carriedFiles are the files under discuz/ the test harness reads.
var carriedFiles = []string{
	"x3.4/install.sql", "x3.4/install_data.sql", "x3.4/uc.sql",
	"x3.5/install.sql", "x3.5/install_data.sql", "x3.5/uc.sql",
	"x3.5/fixtures/x35-fresh-syscache.sql", "x3.5/fixtures/x35-qqconnect-on-syscache.sql",
	"x3.5/fixtures/x35-qqconnect-off-syscache.sql",
}

// statementTable names the pre_ table a statement defines or fills.
var statementTable = regexp.MustCompile("(?is)^(?:DROP TABLE IF EXISTS|CREATE TABLE|INSERT INTO|REPLACE INTO)\\s+`?pre_([a-z0-9_]+)`?")

// CarryDiscuzData makes the carried files from a shared folder: relative
// path under discuz/ → content. uc.sql (UCenter's own tables) is kept
// whole; the other files keep the statements of CarriedTables and every
// statement that names no table (SET NAMES …).
func CarryDiscuzData(shared string) (map[string][]byte, error) {
	keep := map[string]bool{}
	for _, t := range CarriedTables {
		keep[t] = true
	}
	out := map[string][]byte{}
	for _, f := range carriedFiles {
		raw, err := os.ReadFile(filepath.Join(shared, "discuz", f))
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(f, "/uc.sql") {
			out[f] = raw
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "-- Carried from Discuz's %s: the statements of the tables qqconnect touches\n-- (internal/testdb/carried.go). Do not edit: go test ./internal/testdb -run TestCarriedDataMatchesShared -update\n", filepath.Base(f))
		for _, st := range SplitStatements(strings.ReplaceAll(string(raw), "\r\n", "\n")) {
			if m := statementTable.FindStringSubmatch(st); m != nil && !keep[strings.ToLower(m[1])] {
				continue
			}
			b.WriteString(st)
			b.WriteString(";\n")
		}
		out[f] = []byte(b.String())
	}
	return out, nil
}

// carriedDir is the project's own copy: testdata/ beside this file's package.
func carriedDir() (string, bool) {
	root, err := repoRoot()
	if err != nil {
		return "", false
	}
	d := filepath.Join(root, "internal", "testdb", "testdata")
	if _, err := os.Stat(filepath.Join(d, "discuz")); err != nil {
		return "", false
	}
	return d, true
}
