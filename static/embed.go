// Package static holds the CSS, JS and images served under /static/, embedded.
package static

import "embed"

// FS holds every asset of this folder (this Go file excluded by the patterns).
//
//go:embed *.css *.js *.svg
var FS embed.FS
