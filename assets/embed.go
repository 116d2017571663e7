// Package assets holds the static files (CSS, JavaScript, htmx, icons),
// embedded in the binary and served from it: a provincial server is often
// offline, so nothing comes from a CDN.
package assets

import "embed"

// FS holds the static files.
//
//go:embed *.css *.js *.svg
var FS embed.FS
