// Package boxes is the boxes resource: its rows (Box), the rules of
// their fields (Body), the store that keeps them in PostgreSQL (Store) and
// the routes that serve them under /api/v1/boxes (Routes).
package boxes

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi"
)

// Box is a box as the API shows it. Fields that are not required are
// null when not set.
type Box struct {
	ID        uuid.UUID       `json:"id"`
	Label     string          `json:"label"`
	Note      *string         `json:"note"`
	Size      int64           `json:"size"`
	Ratio     *float64        `json:"ratio"`
	Weight    *string         `json:"weight"`
	Fragile   *bool           `json:"fragile"`
	SeenAt    *time.Time      `json:"seen_at"`
	ShippedOn pgtype.Date     `json:"shipped_on"`
	Code      *uuid.UUID      `json:"code"`
	Meta      json.RawMessage `json:"meta"`
	TagID     *uuid.UUID      `json:"tag_id"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Body is the JSON body of POST and PUT, which give every field (the
// required ones must be there), and of PATCH, which gives only the fields
// it changes. Each field tells absent, null and a value apart.
type Body struct {
	Label     httpapi.Field[string]          `json:"label"`
	Note      httpapi.Field[string]          `json:"note"`
	Size      httpapi.Field[int64]           `json:"size"`
	Ratio     httpapi.Field[float64]         `json:"ratio"`
	Weight    httpapi.Field[string]          `json:"weight"`
	Fragile   httpapi.Field[bool]            `json:"fragile"`
	SeenAt    httpapi.Field[string]          `json:"seen_at"`
	ShippedOn httpapi.Field[string]          `json:"shipped_on"`
	Code      httpapi.Field[string]          `json:"code"`
	Meta      httpapi.Field[json.RawMessage] `json:"meta"`
	TagID     httpapi.Field[string]          `json:"tag_id"`
	// partial is set for a PATCH.
	partial bool
}

// Rules are the shape of the body: the required fields (422 when one is
// missing or null).
func (b *Body) Rules() []httpapi.Rule {
	return []httpapi.Rule{
		httpapi.RequiredField("label", b.Label, b.partial),
		httpapi.RequiredField("size", b.Size, b.partial),
	}
}

// Input is a body that passed validation, in the types of the columns: nil
// is NULL (for a date, Valid false).
type Input struct {
	Label     *string
	Note      *string
	Size      *int64
	Ratio     *float64
	Weight    *string
	Fragile   *bool
	SeenAt    *time.Time
	ShippedOn pgtype.Date
	Code      *uuid.UUID
	Meta      json.RawMessage
	TagID     *uuid.UUID
	// given are the fields the body held: a PATCH writes only those, a PUT
	// all of them.
	given map[string]bool
}

// input checks the values of the body, each breaking a rule answered 400
// naming its field, and converts them to an Input.
func (b *Body) input() (Input, error) {
	in := Input{given: map[string]bool{
		"label":      b.Label.Set || !b.partial,
		"note":       b.Note.Set || !b.partial,
		"size":       b.Size.Set || !b.partial,
		"ratio":      b.Ratio.Set || !b.partial,
		"weight":     b.Weight.Set || !b.partial,
		"fragile":    b.Fragile.Set || !b.partial,
		"seen_at":    b.SeenAt.Set || !b.partial,
		"shipped_on": b.ShippedOn.Set || !b.partial,
		"code":       b.Code.Set || !b.partial,
		"meta":       b.Meta.Set || !b.partial,
		"tag_id":     b.TagID.Set || !b.partial,
	}}
	var err error
	if in.Label, err = text("label", b.Label, maxString); err != nil {
		return in, err
	}
	in.Note = b.Note.Ptr()
	in.Size = b.Size.Ptr()
	in.Ratio = b.Ratio.Ptr()
	if in.Weight, err = value("weight", b.Weight, parseDecimal, ruleDecimal); err != nil {
		return in, err
	}
	in.Fragile = b.Fragile.Ptr()
	if in.SeenAt, err = value("seen_at", b.SeenAt, parseTime, ruleTime); err != nil {
		return in, err
	}
	if in.ShippedOn, err = dateValue("shipped_on", b.ShippedOn); err != nil {
		return in, err
	}
	if in.Code, err = value("code", b.Code, parseUUID, ruleUUID); err != nil {
		return in, err
	}
	if v := b.Meta.Ptr(); v != nil {
		in.Meta = *v
	}
	if in.TagID, err = value("tag_id", b.TagID, parseUUID, ruleUUID); err != nil {
		return in, err
	}
	return in, nil
}

// maxString is the longest a string field may be, in characters (its
// column is a varchar(255)).
const maxString = 255

// text checks the length of a string field.
func text(field string, f httpapi.Field[string], max int) (*string, error) {
	v := f.Ptr()
	if v != nil && utf8.RuneCountInString(*v) > max {
		return nil, apperr.Validation(field, fmt.Sprintf("must be at most %d characters", max))
	}
	return v, nil
}

// value parses a field whose JSON value is a string in a format of its own
// (a decimal number, a time, a UUID): absent and null stay nil, a string
// parse refuses breaks the field's rule.
func value[T any](field string, f httpapi.Field[string], parse func(string) (T, bool), rule string) (*T, error) {
	v := f.Ptr()
	if v == nil {
		return nil, nil
	}
	x, ok := parse(*v)
	if !ok {
		return nil, apperr.Validation(field, rule)
	}
	return &x, nil
}

// dateValue parses a date field; absent and null are an invalid (NULL) date.
func dateValue(field string, f httpapi.Field[string]) (pgtype.Date, error) {
	v := f.Ptr()
	if v == nil {
		return pgtype.Date{}, nil
	}
	d, ok := parseDate(*v)
	if !ok {
		return d, apperr.Validation(field, ruleDate)
	}
	return d, nil
}

// The formats of field values given as text (in a body, or in a filter of
// the list), each with its rule as error messages state it.
const (
	ruleInt     = "must be an integer"
	ruleFloat   = "must be a number"
	ruleDecimal = `must be a decimal number as a string, such as "19.99"`
	ruleTime    = "must be an RFC 3339 time, such as 2030-01-02T15:04:05Z"
	ruleDate    = "must be a date, such as 2030-01-02"
	ruleUUID    = "must be a UUID"
)

func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseFloat(s string) (float64, bool) {
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil
}

// decimalRE is what a decimal field holds: digits, an optional sign and
// fraction, at most 100 characters (its column is an exact numeric).
var decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func parseDecimal(s string) (string, bool) {
	return s, len(s) <= 100 && decimalRE.MatchString(s)
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}

func parseDate(s string) (pgtype.Date, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return pgtype.Date{Time: t, Valid: err == nil}, err == nil
}

// parseUUID takes the 36-character form only (uuid.Parse alone also
// takes braces and URNs).
func parseUUID(s string) (uuid.UUID, bool) {
	id, err := uuid.Parse(s)
	return id, err == nil && len(s) == 36
}
