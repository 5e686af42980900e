// Package products is the products resource: its rows (Product), the rules of
// their fields (Body), the store that keeps them in PostgreSQL (Store) and
// the routes that serve them under /api/v1/products (Routes). A product belongs
// to the user who created it: users see and change their own, moderators
// and admins everyone's.
package products

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi"
)

// Product is a product as the API shows it. Fields that are not required are
// null when not set.
type Product struct {
	ID         uuid.UUID `json:"id"`
	Title      string    `json:"title"`
	Price      string    `json:"price"`
	InStock    *bool     `json:"in_stock"`
	CategoryID uuid.UUID `json:"category_id"`
	// CreatedBy is the user who created it; null once that user is deleted.
	CreatedBy *uuid.UUID `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Body is the JSON body of POST and PUT, which give every field (the
// required ones must be there), and of PATCH, which gives only the fields
// it changes. Each field tells absent, null and a value apart.
type Body struct {
	Title      httpapi.Field[string] `json:"title"`
	Price      httpapi.Field[string] `json:"price"`
	InStock    httpapi.Field[bool]   `json:"in_stock"`
	CategoryID httpapi.Field[string] `json:"category_id"`
	// partial is set for a PATCH.
	partial bool
}

// Rules are the shape of the body: the required fields (422 when one is
// missing or null).
func (b *Body) Rules() []httpapi.Rule {
	return []httpapi.Rule{
		httpapi.RequiredField("title", b.Title, b.partial),
		httpapi.RequiredField("price", b.Price, b.partial),
		httpapi.RequiredField("category_id", b.CategoryID, b.partial),
	}
}

// Input is a body that passed validation, in the types of the columns: nil
// is NULL.
type Input struct {
	Title      *string
	Price      *string
	InStock    *bool
	CategoryID *uuid.UUID
	// given are the fields the body held: a PATCH writes only those, a PUT
	// all of them.
	given map[string]bool
}

// input checks the values of the body, each breaking a rule answered 400
// naming its field, and converts them to an Input.
func (b *Body) input() (Input, error) {
	in := Input{given: map[string]bool{
		"title":       b.Title.Set || !b.partial,
		"price":       b.Price.Set || !b.partial,
		"in_stock":    b.InStock.Set || !b.partial,
		"category_id": b.CategoryID.Set || !b.partial,
	}}
	var err error
	if in.Title, err = text("title", b.Title, maxString); err != nil {
		return in, err
	}
	if in.Price, err = value("price", b.Price, parseDecimal, ruleDecimal); err != nil {
		return in, err
	}
	in.InStock = b.InStock.Ptr()
	if in.CategoryID, err = value("category_id", b.CategoryID, parseUUID, ruleUUID); err != nil {
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

// The formats of field values given as text (in a body, or in a filter of
// the list), each with its rule as error messages state it.
const (
	ruleDecimal = `must be a decimal number as a string, such as "19.99"`
	ruleBool    = "must be true or false"
	ruleUUID    = "must be a UUID"
)

// decimalRE is what a decimal field holds: digits, an optional sign and
// fraction, at most 100 characters (its column is an exact numeric).
var decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func parseDecimal(s string) (string, bool) {
	return s, len(s) <= 100 && decimalRE.MatchString(s)
}

func parseBool(s string) (bool, bool) {
	b, err := strconv.ParseBool(s)
	return b, err == nil
}

// parseUUID takes the 36-character form only (uuid.Parse alone also
// takes braces and URNs).
func parseUUID(s string) (uuid.UUID, bool) {
	id, err := uuid.Parse(s)
	return id, err == nil && len(s) == 36
}
