// Package pages holds the web pages earshot serves from its binary: the web
// softphone at /phone, the supervisor's monitor at /monitor (Agent
// Performance, help requests, the assist panel, the assist history), call
// history with recordings at /history, the admin pages at /admin, and what
// every page shares at /shared (style sheet, API client, page links, the
// demo banner). They are
// plain ES modules and CSS with no build step; nothing is fetched from
// outside the server.
//
// It holds files only. The web edge serves FS at / (web.Options.Pages).
package pages

import (
	"embed"
	"io/fs"
)

//go:embed site
var site embed.FS

// FS returns the pages, rooted so that phone/index.html is /phone/.
func FS() fs.FS {
	sub, err := fs.Sub(site, "site")
	if err != nil {
		panic("pages: embedded site missing: " + err.Error())
	}
	return sub
}
