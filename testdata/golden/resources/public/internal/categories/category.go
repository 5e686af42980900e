// Package categories is the categories resource: its rows (Category), the rules of
// their fields (Body), the store that keeps them in PostgreSQL (Store) and
// the routes that serve them under /api/v1/categories (Routes). Anyone reads
// categories; moderators and admins write them.
package categories

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi"
)

// Category is a category as the API shows it. Fields that are not required are
// null when not set.
type Category struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	About     *string   `json:"about"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Body is the JSON body of POST and PUT, which give every field (the
// required ones must be there), and of PATCH, which gives only the fields
// it changes. Each field tells absent, null and a value apart.
type Body struct {
	Name  httpapi.Field[string] `json:"name"`
	About httpapi.Field[string] `json:"about"`
	// partial is set for a PATCH.
	partial bool
}

// Rules are the shape of the body: the required fields (422 when one is
// missing or null).
func (b *Body) Rules() []httpapi.Rule {
	return []httpapi.Rule{
		httpapi.RequiredField("name", b.Name, b.partial),
	}
}

// Input is a body that passed validation, in the types of the columns: nil
// is NULL.
type Input struct {
	Name  *string
	About *string
	// given are the fields the body held: a PATCH writes only those, a PUT
	// all of them.
	given map[string]bool
}

// input checks the values of the body, each breaking a rule answered 400
// naming its field, and converts them to an Input.
func (b *Body) input() (Input, error) {
	in := Input{given: map[string]bool{
		"name":  b.Name.Set || !b.partial,
		"about": b.About.Set || !b.partial,
	}}
	var err error
	if in.Name, err = text("name", b.Name, maxString); err != nil {
		return in, err
	}
	in.About = b.About.Ptr()
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

// The formats of field values given as text (in a body, or in a filter of
// the list), each with its rule as error messages state it.
const ()
