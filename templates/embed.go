// Package templates holds every HTML template of qqconnect, embedded so the
// binary is one file. One template per page; layout partials start with "_".
package templates

import "embed"

// FS holds all *.html files of this folder.
//
//go:embed *.html
var FS embed.FS
