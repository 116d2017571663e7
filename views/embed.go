// Package views holds the HTML templates, embedded in the binary.
package views

import "embed"

// FS holds every template; names are paths without ".html".
//
//go:embed all:batches all:layouts all:auth all:logs all:settings all:errors all:partials all:admin all:segments all:reviews all:certs all:stats all:business *.html
var FS embed.FS
