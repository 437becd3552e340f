package repair_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

const (
	oldAppKey = "5f4dcc3b5aa765d61d8327deb882cf99" // the AppKey a site had
	newAppKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	siteKey   = "c4ca4238a0b923820dcc509a6f75849b" // my_sitekey
)

var allSecrets = []string{oldAppKey, newAppKey, siteKey}

var pluginKeys = []string{"plugins", "hookscript", "hookscriptmobile", "connect"}

type actionCase struct {
	name      string
	action    string
	args      repair.Args
	prepare   func(s *site)
	rows      map[string]*string // pre_common_setting after (nil = no row)
	plugin    int                // qqconnect.available after (-1: unchanged, not checked)
	cache     map[string]string  // serialized top-level keys after ("" = absent)
	patchKeys []string           // further top-level keys allowed to change
	compare   string             // "on"/"off": the cached array must equal that fixture's (noise ignored)
	masked    []string           // masked values that must appear in the audit JSON
	check     func(t *testing.T, s *site)
}

func actionCases() []actionCase {
	return []actionCase{
		{
			name: "clear-site-key", action: repair.ClearSiteKey,
			prepare: func(s *site) {
				s.setRow("my_siteid", sp("12345678"))
				s.setRow("my_sitekey", sp(siteKey))
				s.setRow("cloud_status", nil)
				s.patchCache(func(a *discuz.Array) {
					a.Set("my_siteid", discuz.Str("12345678"))
					a.Set("my_sitekey", discuz.Str(siteKey))
					a.Delete("cloud_status")
				})
			},
			rows:   map[string]*string{"my_siteid": sp(""), "my_sitekey": sp(""), "cloud_status": sp("0")},
			plugin: 1,
			cache:  map[string]string{"my_siteid": `s:0:"";`, "my_sitekey": `s:0:"";`, "cloud_status": `s:1:"0";`},
			masked: []string{discuz.Mask(siteKey)},
		},
		{
			name: "clear-app-key", action: repair.ClearAppKey,
			prepare: func(s *site) {
				s.setRow("connectappkey", sp(oldAppKey))
				s.patchCache(func(a *discuz.Array) { a.Set("connectappkey", discuz.Str(oldAppKey)) })
			},
			rows:   map[string]*string{"connectappid": sp(""), "connectappkey": sp("")},
			plugin: 1,
			cache:  map[string]string{"connectappid": `s:0:"";`, "connectappkey": `s:0:"";`},
			masked: []string{discuz.Mask(oldAppKey)},
		},
		{
			// a fresh X3.5: neither the rows nor the cache keys exist yet
			name: "set-app-key", action: repair.SetAppKey, args: repair.Args{AppID: "102345678", AppKey: newAppKey},
			prepare: func(s *site) {
				s.setRow("connectappid", nil)
				s.setRow("connectappkey", nil)
				s.patchCache(func(a *discuz.Array) { a.Delete("connectappid"); a.Delete("connectappkey") })
			},
			rows:   map[string]*string{"connectappid": sp("102345678"), "connectappkey": sp(newAppKey)},
			plugin: 1,
			cache:  map[string]string{"connectappid": `s:9:"102345678";`, "connectappkey": `s:32:"` + newAppKey + `";`},
			masked: []string{discuz.Mask(newAppKey)},
		},
		{
			name: "plugin-disable", action: repair.PluginDisable,
			plugin: 0, patchKeys: pluginKeys, compare: "off",
			check: func(t *testing.T, s *site) {
				v, err := s.S.GetMeta(context.Background(), "qqconnect_fragments")
				if err != nil {
					t.Fatalf("fragments not saved: %v", err)
				}
				f, err := discuz.UnmarshalFragments([]byte(v))
				if err != nil || len(f.Hooks) != 28 || !f.HasVersion || !f.HasSpacecp {
					t.Fatalf("saved fragments: %v, %d hooks", err, len(f.Hooks))
				}
				if c := s.row("connect"); c == nil || !strings.Contains(*c, `s:13:"guest_groupid"`) {
					t.Fatal("pre_common_setting.connect must stay as it is")
				}
			},
		},
		{
			name: "plugin-enable", action: repair.PluginEnable,
			prepare: func(s *site) {
				s.D.Exec(s.t, "UPDATE pre_common_plugin SET available = 0 WHERE identifier = 'qqconnect'")
				s.setBlob(fixtureSetting(s.t, "off"))
			},
			plugin: 1, patchKeys: pluginKeys, compare: "on",
		},
		{
			name: "refresh-cache", action: repair.RefreshCache,
			prepare: func(s *site) {
				s.setRow("cloud_status", nil)
				s.setRow("my_siteid", nil) // its cache key sits mid-array: undo must put it back there
				s.patchCache(func(a *discuz.Array) {
					a.Set("connectappid", discuz.Str("999999"))
					a.Delete("connectappkey")
					a.Set("cloud_status", discuz.Str("1"))
				})
			},
			plugin: 1, // the plugin part is already right: it must stay byte-identical
			cache:  map[string]string{"connectappid": `s:9:"101234567";`, "connectappkey": `s:7:"FIXTURE";`, "cloud_status": "", "my_siteid": ""},
		},
		{
			name: "refresh-cache-plugin-off", action: repair.RefreshCache,
			prepare: func(s *site) {
				s.D.Exec(s.t, "UPDATE pre_common_plugin SET available = 0 WHERE identifier = 'qqconnect'")
			},
			plugin: 0, patchKeys: pluginKeys, compare: "off",
		},
		{
			name: "fix-guest-group", action: repair.FixGuestGroup,
			prepare: func(s *site) {
				// X3.4's InstallQQConnect made group 20; the X3.5 fixture has none
				s.D.Exec(s.t, "DELETE FROM pre_common_usergroup WHERE groupid = 20")
				s.D.Exec(s.t, "DELETE FROM pre_common_usergroup_field WHERE groupid = 20")
			},
			plugin: 1, patchKeys: []string{"connect"},
			check: func(t *testing.T, s *site) {
				connect, err := discuz.UnserializeArray([]byte(*s.row("connect")))
				if err != nil {
					t.Fatal(err)
				}
				gv, _ := connect.Get("guest_groupid")
				if gv.Kind != discuz.KindInt || gv.Int < 20 {
					t.Fatalf("connect.guest_groupid = %s, want the new group id as an int (as Discuz's fixGuestGroup stores it)", discuz.Serialize(gv))
				}
				var typ, title string
				var visit int
				if err := s.D.SQL.QueryRow("SELECT type, grouptitle, allowvisit FROM pre_common_usergroup WHERE groupid = ?", gv.Int).Scan(&typ, &title, &visit); err != nil {
					t.Fatalf("group %d: %v", gv.Int, err)
				}
				if typ != "special" || title != "QQ游客" || visit != 1 {
					t.Fatalf("group %d = %s %s %d", gv.Int, typ, title, visit)
				}
				var search, read, attach, image int
				if err := s.D.SQL.QueryRow("SELECT allowsearch, readaccess, allowgetattach, allowgetimage FROM pre_common_usergroup_field WHERE groupid = ?", gv.Int).
					Scan(&search, &read, &attach, &image); err != nil || search != 2 || read != 1 || attach != 1 || image != 1 {
					t.Fatalf("usergroup_field %d: %v %d %d %d %d", gv.Int, err, search, read, attach, image)
				}
				cached, _ := mustArray(t, s.blob()).Get("connect")
				cg, _ := cached.Arr.Get("guest_groupid")
				if cg.Kind != discuz.KindInt || cg.Int != gv.Int {
					t.Fatalf("cached connect.guest_groupid = %s, want i:%d", discuz.Serialize(cg), gv.Int)
				}
			},
		},
	}
}

// TestActions runs every action on X3.4 (MyISAM) and X3.5 (InnoDB): dry run
// writes nothing; Apply writes exactly the documented rows and cache keys
// and an audit row without secrets; Undo restores every row and the cache
// blob byte for byte; a second Undo is refused; undoing the undo re-applies.
func TestActions(t *testing.T) {
	for _, version := range []string{testdb.X34, testdb.X35} {
		for _, c := range actionCases() {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				s := newSite(t, version)
				if c.prepare != nil {
					c.prepare(s)
				}
				before, beforeBlob := s.dump(), s.blob()

				plan, err := s.R.Plan(ctx, c.action, c.args)
				if err != nil {
					t.Fatalf("plan: %v", err)
				}
				if len(plan.Changes) == 0 {
					t.Fatalf("plan has no changes: %+v", plan)
				}
				if got := s.dump(); got != before || s.auditCount() != 0 || s.Cache.n.Load() != 0 {
					t.Fatalf("the dry run wrote something: %s", firstDiff(before, got))
				}

				entry, applied, err := s.R.Apply(ctx, c.action, c.args, cli)
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
				if entry == nil || entry.ID == 0 {
					t.Fatal("apply returned no audit entry")
				}
				if !slices.Equal(plan.Changes, applied.Changes) {
					t.Errorf("apply did something else than planned:\nplan  %+v\napply %+v", plan.Changes, applied.Changes)
				}
				if s.Cache.n.Load() != 1 {
					t.Errorf("cache invalidated %d times, want 1", s.Cache.n.Load())
				}
				for k, want := range c.rows {
					if got := s.row(k); (got == nil) != (want == nil) || got != nil && *got != *want {
						t.Errorf("pre_common_setting %s = %v, want %v", k, deref(got), deref(want))
					}
				}
				if c.plugin >= 0 && s.available() != c.plugin {
					t.Errorf("available = %d, want %d", s.available(), c.plugin)
				}
				afterBlob := s.blob()
				orig, after := mustArray(t, beforeBlob), mustArray(t, afterBlob)
				for k, want := range c.cache {
					v, ok := after.Get(k)
					switch {
					case want == "" && ok:
						t.Errorf("cache %s = %s, want absent", k, discuz.Serialize(v))
					case want != "" && (!ok || string(discuz.Serialize(v)) != want):
						t.Errorf("cache %s = %s (present %v), want %s", k, discuz.Serialize(v), ok, want)
					}
				}
				allowed := slices.Concat(c.patchKeys)
				for k := range c.cache {
					allowed = append(allowed, k)
				}
				// every other key keeps its bytes, and they keep their order
				var origOrder, afterOrder []string
				for _, e := range orig.Entries {
					k := e.Key.String()
					if slices.Contains(allowed, k) {
						continue
					}
					origOrder = append(origOrder, k)
					if v, ok := after.Get(k); !ok || !bytes.Equal(discuz.Serialize(v), discuz.Serialize(e.Val)) {
						t.Errorf("untouched cache key %s changed", k)
					}
				}
				for _, e := range after.Entries {
					if k := e.Key.String(); !slices.Contains(allowed, k) {
						afterOrder = append(afterOrder, k)
					}
				}
				if !slices.Equal(origOrder, afterOrder) {
					t.Error("the order of the untouched cache keys changed")
				}
				for _, e := range after.Entries {
					if k := e.Key.String(); orig.Index(k) < 0 && !slices.Contains(allowed, k) {
						t.Errorf("unexpected new cache key %s", k)
					}
				}
				if c.compare != "" {
					if ok, diff := discuz.SettingsEqualIgnoringNoise(after, mustArray(t, fixtureSetting(t, c.compare))); !ok {
						t.Errorf("cached setting differs from the %s fixture: %s", c.compare, diff)
					}
				}
				if c.check != nil {
					c.check(t, s)
				}

				e, err := s.S.AuditByID(ctx, entry.ID)
				if err != nil {
					t.Fatal(err)
				}
				if e.Action != c.action || e.Result != "ok" || e.Source != "cli" || e.ActorName != "admin" || e.UndoData == "" || e.UndoOf != nil {
					t.Errorf("audit entry %+v", e)
				}
				var logged, loggedBefore []repair.Change
				if err := json.Unmarshal([]byte(e.AfterJSON), &logged); err != nil || !slices.Equal(logged, applied.Changes) {
					t.Errorf("after_json %v does not hold the applied changes: %s", err, e.AfterJSON)
				}
				if err := json.Unmarshal([]byte(e.BeforeJSON), &loggedBefore); err != nil || len(loggedBefore) != len(applied.Changes) ||
					loggedBefore[0].Before != applied.Changes[0].Before || loggedBefore[0].After != "" {
					t.Errorf("before_json %v: %s", err, e.BeforeJSON)
				}
				all := e.BeforeJSON + e.AfterJSON + e.UndoData + e.Target
				for _, secret := range allSecrets {
					if strings.Contains(all, secret) {
						t.Errorf("a secret is in the audit row")
					}
				}
				for _, m := range c.masked {
					if !strings.Contains(e.BeforeJSON+e.AfterJSON, m) {
						t.Errorf("audit JSON lacks the masked value %s: %s / %s", m, e.BeforeJSON, e.AfterJSON)
					}
				}
				for _, ch := range applied.Changes {
					for _, secret := range allSecrets {
						if strings.Contains(ch.Before+ch.After, secret) {
							t.Errorf("a plan change shows a secret: %s", ch.Key)
						}
					}
				}

				undo, err := s.R.Undo(ctx, entry.ID, cli)
				if err != nil {
					t.Fatalf("undo: %v", err)
				}
				if got := s.dump(); got != before {
					t.Fatalf("undo did not restore everything: %s", firstDiff(before, got))
				}
				if !bytes.Equal(s.blob(), beforeBlob) {
					t.Fatal("setting blob differs after undo")
				}
				if undo.UndoOf == nil || *undo.UndoOf != entry.ID || undo.Action != "undo" {
					t.Errorf("undo entry %+v", undo)
				}
				if e, _ := s.S.AuditByID(ctx, entry.ID); e.UndoneBy == nil || *e.UndoneBy != undo.ID {
					t.Errorf("original not marked undone: %+v", e)
				}
				if s.Cache.n.Load() != 2 {
					t.Errorf("cache invalidated %d times after undo, want 2", s.Cache.n.Load())
				}
				if _, err := s.R.Undo(ctx, entry.ID, cli); !errors.Is(err, repair.ErrAlreadyUndone) {
					t.Fatalf("second undo: %v, want ErrAlreadyUndone", err)
				}
				if got := s.dump(); got != before {
					t.Fatalf("refused undo changed something: %s", firstDiff(before, got))
				}
				// undoing the undo re-applies the change
				if _, err := s.R.Undo(ctx, undo.ID, cli); err != nil {
					t.Fatalf("undo of the undo: %v", err)
				}
				if !bytes.Equal(s.blob(), afterBlob) {
					t.Fatal("undoing the undo did not give the applied state back")
				}
			})
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "(no row)"
	}
	return strconv.Quote(*p)
}

// TestRefusalsWriteNothing: bad arguments, unknown actions, a missing
// plugin row or setting cache row: an error of the right kind and no write.
func TestRefusalsWriteNothing(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, version)
			cases := []struct {
				action string
				args   repair.Args
				want   error
			}{
				{"frobnicate", repair.Args{}, repair.ErrUnknownAction},
				{repair.SetAppKey, repair.Args{AppID: "", AppKey: newAppKey}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "12ab5678", AppKey: newAppKey}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "12345", AppKey: newAppKey}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "1234567890123", AppKey: newAppKey}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: newAppKey[:31]}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: newAppKey + "0"}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: "zz" + newAppKey[2:]}, repair.ErrBadArgs},
				{repair.SetAppKey, repair.Args{AppID: "102345678"}, repair.ErrBadArgs},
				{repair.ClearAppKey, repair.Args{AppID: "102345678"}, repair.ErrBadArgs},
			}
			before := s.dump()
			for _, c := range cases {
				if _, err := s.R.Plan(ctx, c.action, c.args); !errors.Is(err, c.want) {
					t.Errorf("plan %s %+v: %v, want %v", c.action, c.args.AppID, err, c.want)
				}
				_, _, err := s.R.Apply(ctx, c.action, c.args, cli)
				if !errors.Is(err, c.want) {
					t.Errorf("apply %s %q: %v, want %v", c.action, c.args.AppID, err, c.want)
				}
				if err != nil && strings.Contains(err.Error(), newAppKey[:20]) {
					t.Errorf("the error shows the AppKey: %v", err)
				}
			}

			s.D.Exec(t, "DELETE FROM pre_common_plugin WHERE identifier = 'qqconnect'")
			before = s.dump()
			for _, a := range []string{repair.PluginDisable, repair.PluginEnable} {
				if _, err := s.R.Plan(ctx, a, repair.Args{}); !errors.Is(err, repair.ErrNotInstalled) {
					t.Errorf("plan %s without plugin: %v", a, err)
				}
				if _, _, err := s.R.Apply(ctx, a, repair.Args{}, cli); !errors.Is(err, repair.ErrNotInstalled) {
					t.Errorf("apply %s without plugin: %v", a, err)
				}
			}

			// no setting cache row: refused, and the row is never created
			s.D.Exec(t, "DELETE FROM pre_common_syscache WHERE cname = 'setting'")
			if _, _, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{}, cli); !errors.Is(err, repair.ErrNoSettingCache) {
				t.Errorf("apply without setting cache: %v", err)
			}
			var n int
			s.D.SQL.QueryRow("SELECT COUNT(*) FROM pre_common_syscache WHERE cname = 'setting'").Scan(&n)
			if n != 0 {
				t.Error("the setting cache row was created")
			}
			if v := s.row("connectappid"); v == nil || *v != "101234567" {
				t.Errorf("connectappid changed to %v", deref(v))
			}
			if s.auditCount() != 0 || s.Cache.n.Load() != 0 {
				t.Errorf("refusals wrote %d audit rows, %d invalidations", s.auditCount(), s.Cache.n.Load())
			}
			_ = before
		})
	}
}

// TestUndoConflict: an undo refuses to overwrite a value changed since the
// entry (rows or cache), changes nothing then, and ForceUndo overrides.
func TestUndoConflict(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, version)
			entry, _, err := s.R.Apply(ctx, repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: newAppKey}, cli)
			if err != nil {
				t.Fatal(err)
			}
			s.setRow("connectappid", sp("555555"))
			state := s.dump()
			if _, err := s.R.Undo(ctx, entry.ID, cli); !errors.Is(err, repair.ErrConflict) {
				t.Fatalf("undo after a row change: %v, want ErrConflict", err)
			} else if !strings.Contains(err.Error(), "connectappid") || strings.Contains(err.Error(), newAppKey) {
				t.Errorf("conflict message %q", err)
			}
			if got := s.dump(); got != state {
				t.Fatalf("refused undo wrote: %s", firstDiff(state, got))
			}
			plan, err := s.R.PlanUndo(ctx, entry.ID)
			if err != nil || len(plan.Warnings) == 0 {
				t.Fatalf("plan undo: %v %+v", err, plan)
			}

			s.setRow("connectappid", sp("102345678"))
			s.patchCache(func(a *discuz.Array) { a.Set("connectappkey", discuz.Str(oldAppKey)) })
			if _, err := s.R.Undo(ctx, entry.ID, cli); !errors.Is(err, repair.ErrConflict) || !strings.Contains(err.Error(), "[setting] connectappkey") {
				t.Fatalf("undo after a cache change: %v, want ErrConflict naming the key", err)
			}

			undo, err := s.R.ForceUndo(ctx, entry.ID, cli)
			if err != nil {
				t.Fatalf("force undo: %v", err)
			}
			if v := s.row("connectappid"); v == nil || *v != "101234567" {
				t.Errorf("connectappid after force undo = %s", deref(v))
			}
			if v := s.row("connectappkey"); v == nil || *v != "FIXTURE" {
				t.Errorf("connectappkey after force undo = %s", deref(v))
			}
			if k, _ := mustArray(t, s.blob()).Get("connectappkey"); string(k.Str) != "FIXTURE" {
				t.Errorf("cached connectappkey after force undo = %q", k.Str)
			}
			e, _ := s.S.AuditByID(ctx, undo.ID)
			if strings.Contains(e.BeforeJSON+e.AfterJSON+e.UndoData, oldAppKey) || strings.Contains(e.BeforeJSON+e.AfterJSON+e.UndoData, newAppKey) {
				t.Error("the undo's audit row holds a secret")
			}
		})
	}
}

// TestNothingToChange: an action that finds everything in place writes
// nothing, not even an audit row.
func TestNothingToChange(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X35)
	if _, _, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{}, cli); err != nil {
		t.Fatal(err)
	}
	before := s.dump()
	entry, plan, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{}, cli)
	if err != nil || entry != nil || len(plan.Changes) != 0 {
		t.Fatalf("second clear-app-key: %v %+v %+v", err, entry, plan)
	}
	if !slices.ContainsFunc(plan.Notes, func(n string) bool { return strings.Contains(n, "nothing to change") }) {
		t.Errorf("notes %q", plan.Notes)
	}
	if got := s.dump(); got != before || s.auditCount() != 1 {
		t.Fatalf("a no-op apply wrote: %d audit rows, %s", s.auditCount(), firstDiff(before, got))
	}
	// the fresh on-fixture state needs no refresh either
	s2 := newSite(t, testdb.X35)
	if _, plan, err := s2.R.Apply(ctx, repair.RefreshCache, repair.Args{}, cli); err != nil || len(plan.Changes) != 0 {
		t.Fatalf("refresh-cache of a consistent site: %v %+v", err, plan)
	}
}

// TestPartialFailureLeavesNothing makes the audit insert, the step before
// the cache write, fail: on X3.5 the transaction rolls back, on X3.4 the
// MyISAM steps already done are undone.
func TestPartialFailureLeavesNothing(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, version)
			before := s.dump()
			s.D.Exec(t, "RENAME TABLE pre_qqconnect_audit TO pre_qqconnect_audit_away")
			_, _, err := s.R.Apply(ctx, repair.PluginDisable, repair.Args{}, cli)
			s.D.Exec(t, "RENAME TABLE pre_qqconnect_audit_away TO pre_qqconnect_audit")
			if err == nil {
				t.Fatal("apply succeeded without an audit table")
			}
			if got := s.dump(); got != before {
				t.Fatalf("a failed apply left changes: %s", firstDiff(before, got))
			}
			if s.Cache.n.Load() != 0 {
				t.Error("a failed apply invalidated the cache")
			}
		})
	}
}

// TestDisableEnableRoundTrip: qqconnect's own off then on gives Discuz's ON
// state again, from the fragments it saved.
func TestDisableEnableRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X35)
	if _, _, err := s.R.Apply(ctx, repair.PluginDisable, repair.Args{}, cli); err != nil {
		t.Fatal(err)
	}
	if _, plan, err := s.R.Apply(ctx, repair.PluginEnable, repair.Args{}, cli); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("enable: %v %+v", err, plan)
	}
	if ok, diff := discuz.SettingsEqualIgnoringNoise(mustArray(t, s.blob()), mustArray(t, fixtureSetting(t, "on"))); !ok {
		t.Fatalf("after off+on: %s", diff)
	}
	if s.available() != 1 {
		t.Fatal("available != 1")
	}
}

// TestUnknownPluginVersion: enabling a qqconnect whose hooks are unknown
// sets available=1 only, leaves the cache alone and asks for 更新缓存.
func TestUnknownPluginVersion(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X35)
	s.D.Exec(t, "UPDATE pre_common_plugin SET available = 0, version = '9.9.9' WHERE identifier = 'qqconnect'")
	s.setBlob(fixtureSetting(t, "off"))
	blob := s.blob()
	entry, plan, err := s.R.Apply(ctx, repair.PluginEnable, repair.Args{}, cli)
	if err != nil || entry == nil {
		t.Fatalf("enable: %v", err)
	}
	if s.available() != 1 || !bytes.Equal(s.blob(), blob) {
		t.Fatal("want available=1 and the cache untouched")
	}
	if len(plan.Warnings) == 0 || !strings.Contains(plan.Warnings[0], "更新缓存") {
		t.Fatalf("warnings %q", plan.Warnings)
	}
}

// TestCacheWarnings: a failed invalidation after a committed change is a
// warning, and caches qqconnect cannot clear are named in the plan.
func TestCacheWarnings(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X35)
	s.Cache.fail.Store(true)
	entry, plan, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{}, cli)
	if err != nil || entry == nil {
		t.Fatalf("apply: %v", err)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "cache down") {
		t.Fatalf("warnings %q", plan.Warnings)
	}
	s.R.Cache = repair.NewManualInvalidator([]string{"memcache"}, "file")
	plan, err = s.R.Plan(ctx, repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: newAppKey})
	if err != nil || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "memcache") || !strings.Contains(plan.Warnings[0], "cache_setting.php") {
		t.Fatalf("plan with memcache: %v %q", err, plan.Warnings)
	}
	s.R.Cache = repair.NewManualInvalidator(nil, "")
	if plan, err = s.R.Plan(ctx, repair.SetAppKey, repair.Args{AppID: "102345678", AppKey: newAppKey}); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("plan without memory cache: %v %q", err, plan.Warnings)
	}
}

func TestActionList(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range repair.Actions() {
		if a.ID == "" || a.TitleZH == "" || a.TitleEN == "" || a.Description == "" || seen[a.ID] {
			t.Errorf("bad action %+v", a)
		}
		seen[a.ID] = true
		if a.NeedsArgs != (a.ID == repair.SetAppKey) {
			t.Errorf("%s NeedsArgs = %v", a.ID, a.NeedsArgs)
		}
	}
	for _, id := range []string{"clear-site-key", "clear-app-key", "set-app-key", "plugin-disable", "plugin-enable", "refresh-cache", "fix-guest-group"} {
		if !seen[id] {
			t.Errorf("action %s missing", id)
		}
	}
}

// TestSettingCacheOnGBKAndBig5 (issue 10 part 2): on X3.4 converted to gbk
// and big5 tables, with the setting cache and the serialized settings in the
// site's bytes (PHP's byte counts), every repair leaves exactly the bytes
// the same repair leaves on the UTF-8 twin site, converted: the cache blob,
// pre_common_setting.connect as stored, and the undo. The fresh enable
// builds plugins.spacecp from the site's own modules (QQ綁定 on Big5).
func TestSettingCacheOnGBKAndBig5(t *testing.T) {
	ctx := context.Background()
	for _, charset := range []string{"gbk", "big5"} {
		t.Run(charset, func(t *testing.T) {
			twin := newSite(t, testdb.X34)
			gb := newSiteCharset(t, charset)
			conv := func(b []byte) []byte {
				t.Helper()
				out, err := testdb.SiteSerialized(b, charset)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			// A connect value with text in it, so that its byte counts matter.
			connect := mustArray(t, []byte(*twin.row("connect")))
			connect.Set("turl_code", discuz.Str("腾讯微博·分享"))
			utf := string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: connect}))
			twin.setRow("connect", &utf)
			gb.D.Exec(t, "UPDATE pre_common_setting SET svalue = UNHEX(?) WHERE skey = 'connect'", hex.EncodeToString(conv([]byte(utf))))
			same := func(step string) {
				t.Helper()
				if got, want := gb.blob(), conv(twin.blob()); !bytes.Equal(got, want) {
					t.Fatalf("%s: setting cache (%d bytes) differs from the UTF-8 twin's, converted (%d bytes)", step, len(got), len(want))
				}
				if got, want := gb.rawRow("connect"), conv(twin.rawRow("connect")); !bytes.Equal(got, want) {
					t.Fatalf("%s: connect stored as %q, want %q", step, got, want)
				}
			}
			same("start")
			start := gb.blob()
			// Both sites get the same audit ids: one action each, in turn.
			apply := func(action string, args repair.Args) int64 {
				t.Helper()
				var id int64
				for _, s := range []*site{twin, gb} {
					entry, plan, err := s.R.Apply(ctx, action, args, cli)
					if err != nil {
						t.Fatalf("%s on %s: %v", action, s.D.Charset, err)
					}
					if len(plan.Warnings) > 1 {
						t.Fatalf("%s on %s: %q", action, s.D.Charset, plan.Warnings)
					}
					if entry != nil {
						id = entry.ID
					}
				}
				same(action)
				return id
			}
			var ids []int64
			for _, step := range []struct {
				action string
				args   repair.Args
			}{
				{action: repair.PluginDisable},
				{action: repair.PluginEnable},
				{action: repair.FixGuestGroup},
				{action: repair.ClearAppKey},
				{action: repair.SetAppKey, args: repair.Args{AppID: "102345678", AppKey: "0123456789abcdef0123456789abcdef"}},
				{action: repair.PluginDisable},
			} {
				if id := apply(step.action, step.args); id != 0 {
					ids = append(ids, id)
				}
			}
			// Undo back to the start, newest first: the first bytes again.
			for i := len(ids) - 1; i >= 0; i-- {
				for _, s := range []*site{twin, gb} {
					if _, err := s.R.Undo(ctx, ids[i], cli); err != nil {
						t.Fatalf("undo %d on %s: %v", ids[i], s.D.Charset, err)
					}
				}
				same(fmt.Sprintf("undo %d", ids[i]))
			}
			if !bytes.Equal(gb.blob(), start) {
				t.Fatal("after undoing every step the setting cache is not the first bytes")
			}
			if _, err := gb.S.UnserializeSetting(*gb.row("connect")); err != nil {
				t.Fatalf("connect after undo: %v", err)
			}
			// Off, and the saved fragments lost: the enable builds the ON
			// state from the built-in table and the site's own modules.
			apply(repair.PluginDisable, repair.Args{})
			for _, s := range []*site{twin, gb} {
				s.D.Exec(t, "DELETE FROM pre_qqconnect_meta WHERE k = 'qqconnect_fragments'")
			}
			apply(repair.PluginEnable, repair.Args{})
			spacecp := fmt.Sprintf("s:4:\"name\";s:6:\"%s\"", testdb.ToSite("QQ绑定", charset))
			if !bytes.Contains(gb.blob(), []byte(spacecp)) {
				t.Fatalf("the fresh enable's spacecp is not the site's own %q", spacecp)
			}
		})
	}
}

// TestEnableInDiscuzOrder (issue 11 #8): plugin-enable on the OFF fixture,
// with no fragments saved, leaves the hook arrays and plugins byte for
// byte as Discuz's own 启用 did (the ON fixture), key order included.
func TestEnableInDiscuzOrder(t *testing.T) {
	s := newSite(t, testdb.X35)
	s.D.Exec(t, "UPDATE pre_common_plugin SET available = 0 WHERE identifier = 'qqconnect'")
	s.setBlob(fixtureSetting(t, "off"))
	if _, _, err := s.R.Apply(context.Background(), repair.PluginEnable, repair.Args{}, cli); err != nil {
		t.Fatal(err)
	}
	got, want := mustArray(t, s.blob()), mustArray(t, fixtureSetting(t, "on"))
	for _, k := range []string{"hookscript", "hookscriptmobile", "plugins"} {
		g, _ := got.Get(k)
		w, _ := want.Get(k)
		if !bytes.Equal(discuz.Serialize(g), discuz.Serialize(w)) {
			t.Errorf("%s differs from Discuz's own 启用", k)
		}
	}
}

// TestAdminMenuFollowsThePlugin (issue 11 #8): plugin-disable and
// plugin-enable take qqconnect's entry out of Discuz's adminmenu row and
// put it back in its place (after a plugin with a higher pluginid), as
// Discuz's rebuild does, and undo restores the row; a site without the row
// gets none.
func TestAdminMenuFollowsThePlugin(t *testing.T) {
	ctx := context.Background()
	entry := func(pid, name string) *discuz.Array {
		a := &discuz.Array{}
		a.Set("url", discuz.Str("plugins&operation=config&do="+pid))
		a.Set("action", discuz.Str("plugins_config_"+pid))
		a.Set("name", discuz.Str(name))
		return a
	}
	list := func(items ...*discuz.Array) []byte {
		l := &discuz.Array{}
		for i, it := range items {
			l.Entries = append(l.Entries, discuz.Entry{Key: discuz.Int(int64(i)), Val: discuz.Value{Kind: discuz.KindArray, Arr: it}})
		}
		return discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: l})
	}
	on := list(entry("5", "Five"), entry("2", "QQ互联"))
	off := list(entry("5", "Five"))
	s := newSite(t, testdb.X35)
	row := func() []byte {
		var b []byte
		s.D.SQL.QueryRow("SELECT data FROM pre_common_syscache WHERE cname = 'adminmenu'").Scan(&b)
		return b
	}
	s.D.Exec(t, "REPLACE INTO pre_common_syscache (cname, ctype, dateline, data) VALUES ('adminmenu', 1, 1700000000, ?)", on)
	if _, _, err := s.R.Apply(ctx, repair.PluginDisable, repair.Args{}, cli); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(row(), off) {
		t.Fatalf("adminmenu after plugin-disable: %s", row())
	}
	entry2, _, err := s.R.Apply(ctx, repair.PluginEnable, repair.Args{}, cli)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(row(), on) {
		t.Fatalf("adminmenu after plugin-enable: %s", row())
	}
	if _, err := s.R.Undo(ctx, entry2.ID, cli); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(row(), off) {
		t.Fatalf("adminmenu after undoing the enable: %s", row())
	}
	// No row: none is made.
	s.D.Exec(t, "DELETE FROM pre_common_syscache WHERE cname = 'adminmenu'")
	if _, _, err := s.R.Apply(ctx, repair.PluginEnable, repair.Args{}, cli); err != nil {
		t.Fatal(err)
	}
	if row() != nil {
		t.Fatal("plugin-enable created an adminmenu row")
	}
}

// TestClearSiteKeyCloudEra (issue 14 #7): on X3.2/X3.3 the clear-site-key
// preview says that Discuz's own 云平台 → QQ互联 page stops opening; on
// later versions (their QQ互联 settings live in the plugin's page) and when
// the version is unknown it says nothing of it.
func TestClearSiteKeyCloudEra(t *testing.T) {
	s := newSite(t, testdb.X34)
	for _, c := range []struct {
		version string
		warned  bool
	}{{"X3.2", true}, {"X3.3", true}, {"X3.4", false}, {"X3.5", false}, {"", false}} {
		s.R.DiscuzVersion = c.version
		plan, err := s.R.Plan(context.Background(), repair.ClearSiteKey, repair.Args{})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.ContainsFunc(plan.Warnings, func(w string) bool { return strings.Contains(w, "云平台 → QQ互联") }); got != c.warned {
			t.Errorf("version %q: warned %v, want %v: %q", c.version, got, c.warned, plan.Warnings)
		}
	}
}
