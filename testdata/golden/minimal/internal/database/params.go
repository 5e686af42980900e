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

// urlParam returns the value of param in a URL or keyword/value DSN.
func urlParam(dsn, param string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Query().Get(param)
	}
	for field := range strings.FieldsSeq(dsn) {
		if k, v, ok := strings.Cut(field, "="); ok && k == param {
			return v
		}
	}
	return ""
}
