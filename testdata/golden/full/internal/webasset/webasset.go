// Package webasset names the content type of the files the service embeds
// and serves (the console's, the API docs page's).
package webasset

import "path"

// ContentType names the type of an embedded file by its extension, from a
// fixed list rather than the mime package: that one reads the host's tables
// (the registry on Windows, where .js may be text/plain, which browsers
// refuse to run under nosniff), and keeps them in memory for good. Anything
// else is plain text.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	default:
		return "text/plain; charset=utf-8"
	}
}
