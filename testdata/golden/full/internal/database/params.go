package database

import (
	"net/url"
	"strings"
)

// containsParam reports whether a URL or keyword/value DSN sets param.
func containsParam(dsn, param string) bool {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Query().Has(param)
	}
	for field := range strings.FieldsSeq(dsn) {
		if k, _, ok := strings.Cut(field, "="); ok && k == param {
			return true
		}
	}
	return false
}
