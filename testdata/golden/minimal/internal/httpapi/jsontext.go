package httpapi

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// textProblem is where a JSON body holds a string PostgreSQL cannot store.
type textProblem struct {
	// field is the dotted path of object keys to the string ("" at the top
	// level); array positions are not part of it.
	field string
	// inKey says the string is an object key, which names no field.
	inKey bool
}

// jsonFrame is one open object or array while scanning.
type jsonFrame struct {
	object    bool
	expectKey bool
	key       string
}

// findUnstorableText returns the first string of a valid JSON document that
// holds raw invalid UTF-8, the escape \u0000, or a UTF-16 surrogate escape
// that is not half of a pair. encoding/json accepts all three (it turns the
// last two into U+FFFD and keeps NUL), but PostgreSQL refuses them in text
// and jsonb alike, which would make a client's typo a 500. The raw bytes are
// read because after decoding a lone surrogate looks like a genuine U+FFFD.
func findUnstorableText(body []byte) (textProblem, bool) {
	var stack []jsonFrame
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{':
			stack = append(stack, jsonFrame{object: true, expectKey: true})
		case '[':
			stack = append(stack, jsonFrame{})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		case ':':
			stack[len(stack)-1].expectKey = false
		case '"':
			isKey := len(stack) > 0 && stack[len(stack)-1].expectKey
			end, ok := scanJSONString(body, i+1)
			if !ok {
				return textProblem{field: fieldPath(stack, isKey), inKey: isKey}, true
			}
			if isKey {
				stack[len(stack)-1].key = jsonKey(body[i : end+1])
			}
			i = end
		}
	}
	return textProblem{}, false
}

// scanJSONString reads the string that starts after the opening quote at
// start and returns the index of its closing quote, or ok false at the first
// character PostgreSQL cannot store. The document is known to be valid, so
// every escape is complete and the string ends.
func scanJSONString(body []byte, start int) (end int, ok bool) {
	for j := start; j < len(body); {
		c := body[j]
		switch {
		case c == '"':
			return j, true
		case c == '\\' && body[j+1] == 'u':
			r := hex4(body[j+2 : j+6])
			switch {
			case r == 0 || isLowSurrogate(r):
				return j, false
			case isHighSurrogate(r):
				if j+12 > len(body) || body[j+6] != '\\' || body[j+7] != 'u' || !isLowSurrogate(hex4(body[j+8:j+12])) {
					return j, false
				}
				j += 12
			default:
				j += 6
			}
		case c == '\\':
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(body[j:])
			if r == utf8.RuneError && size == 1 {
				return j, false
			}
			j += size
		}
	}
	return len(body), true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// jsonKey decodes a quoted object key; keys are short and mostly plain.
func jsonKey(quoted []byte) string {
	var k string
	if json.Unmarshal(quoted, &k) != nil {
		return string(quoted[1 : len(quoted)-1])
	}
	return k
}

// fieldPath joins the keys of the open objects; for a key itself, the key
// being read is not part of it.
func fieldPath(stack []jsonFrame, isKey bool) string {
	var keys []string
	for i, f := range stack {
		if f.object && (i < len(stack)-1 || !isKey) {
			keys = append(keys, f.key)
		}
	}
	return strings.Join(keys, ".")
}
