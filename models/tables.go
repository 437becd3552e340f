// Package models maps the Discuz! X tables qqconnect reads and writes (never
// migrated: they belong to Discuz) and qqconnect's own tables (created by
// package migrations). Every table name goes through Tables, so any table
// prefix works.
package models

import (
	"context"

	"gorm.io/gorm"
)

// Tables turns short table names into the real, prefixed ones.
type Tables struct {
	Pre  string // Discuz table prefix, e.g. "pre_"
	UC   string // UCenter table prefix, e.g. "pre_ucenter_"
	UCDB string // UCenter's database when it is not the forum's (same server), e.g. "ucenter"; "" = the forum's
}

// Discuz returns the real name of a Discuz table, e.g. "common_member" -> "pre_common_member".
func (t Tables) Discuz(name string) string { return t.Pre + name }

// UCenter returns the real name of a UCenter table, e.g. "members" ->
// "pre_ucenter_members", or "ucenter.pre_ucenter_members" when UCenter has
// a database of its own on the forum's server (Discuz's UC_DBTABLEPRE
// "`ucenter`.pre_ucenter_"). One connection reaches both, so a unit of
// work spans them: one transaction on InnoDB.
func (t Tables) UCenter(name string) string {
	if t.UCDB != "" {
		return t.UCDB + "." + t.UC + name
	}
	return t.UC + name
}

// Own returns the real name of one of qqconnect's own tables, e.g. "identity" -> "pre_qqconnect_identity".
// They share the Discuz prefix so several forums in one database stay apart.
func (t Tables) Own(name string) string { return t.Pre + "qqconnect_" + name }

// Store is the data layer: one database, its table names and what its schema holds.
type Store struct {
	DB      *gorm.DB
	T       Tables
	Schema  *Schema
	Dialect string // "mysql" or "sqlite"
	// UC is UCenter's MySQL server when it is not the forum's (UC_DBHOST
	// differs); nil when DB reaches UCenter's tables. UCenter's tables are
	// then named with T.UCDB and read and written only through it.
	UC *gorm.DB
	// UCAppID is the forum's own application in UCenter (UC_APPID; 0 =
	// unknown) and UCMyKey UCenter's UC_MYKEY (secret; "" = unknown): what
	// UCenter's synchronized login needs (synlogin.go).
	UCAppID int64
	UCMyKey string
}

// ucConn is the connection that reaches UCenter's tables.
func (s *Store) ucConn() *gorm.DB {
	if s.UC != nil {
		return s.UC
	}
	return s.DB
}

// UCRemote reports whether UCenter is on another MySQL server.
func (s *Store) UCRemote() bool { return s.UC != nil }

// UCConn is the connection that reaches UCenter's tables (the doctor's check).
func (s *Store) UCConn(ctx context.Context) *gorm.DB { return s.ucConn().WithContext(ctx) }
