package boxes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/apperr"
)

// Store reads and writes boxes.
//
// Every query parameter is cast to its type ($1::uuid): the queries then
// work in each of pgx's query modes, the simple protocol and exec modes
// (which a connection pooler may need) included, where PostgreSQL is sent
// untyped text.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// columns are the columns of a box, in the order scan reads them.
const columns = `id, label, note, size, ratio, weight, fragile, seen_at, shipped_on, code, meta,
	tag_id, created_at, updated_at`

func scan(row pgx.Row) (*Box, error) {
	var box Box
	err := row.Scan(&box.ID, &box.Label, &box.Note, &box.Size, &box.Ratio, &box.Weight, &box.Fragile,
		&box.SeenAt, &box.ShippedOn, &box.Code, &box.Meta, &box.TagID, &box.CreatedAt,
		&box.UpdatedAt)
	if err != nil {
		return nil, err
	}
	// Times go out in UTC, whatever the time zone of the server.
	box.CreatedAt, box.UpdatedAt = box.CreatedAt.UTC(), box.UpdatedAt.UTC()
	if box.SeenAt != nil {
		*box.SeenAt = box.SeenAt.UTC()
	}
	return &box, nil
}

// Create inserts a box.
func (s *Store) Create(ctx context.Context, in Input) (*Box, error) {
	if err := s.checkRefs(ctx, in); err != nil {
		return nil, err
	}
	box, err := scan(s.pool.QueryRow(ctx, `
		INSERT INTO boxes (label, note, size, ratio, weight, fragile, seen_at, shipped_on, code, meta,
			tag_id)
		VALUES ($1::text, $2::text, $3::bigint, $4::float8, $5::numeric, $6::boolean,
			$7::timestamptz, $8::date, $9::uuid, $10::jsonb, $11::uuid)
		RETURNING `+columns,
		in.Label, in.Note, in.Size, in.Ratio, in.Weight, in.Fragile, in.SeenAt, in.ShippedOn,
		in.Code, in.Meta, in.TagID))
	if err != nil {
		return nil, writeError("create", err)
	}
	return box, nil
}

// Get returns the box id.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (*Box, error) {
	box, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM boxes
		WHERE id = $1::uuid`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Box")
	}
	if err != nil {
		return nil, fmt.Errorf("get box: %w", err)
	}
	return box, nil
}

// Query selects, orders and pages boxes for List.
type Query struct {
	Filter Filter
	// Sort is a key of orderBy: a column, "-" first for descending.
	Sort          string
	Limit, Offset int
}

// Filter keeps the boxes whose fields equal the values set; nil
// fields do not filter.
type Filter struct {
	Label     *string
	Size      *int64
	Ratio     *float64
	Weight    *string
	SeenAt    *time.Time
	ShippedOn *pgtype.Date
	Code      *uuid.UUID
	TagID     *uuid.UUID
}

// List returns a page of boxes.
func (s *Store) List(ctx context.Context, q Query) ([]Box, error) {
	order, ok := orderBy(q.Sort)
	if !ok {
		return nil, fmt.Errorf("list boxes: unknown sort %q", q.Sort)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f := q.Filter.Label; f != nil {
		add("label = $%d::text", *f)
	}
	if f := q.Filter.Size; f != nil {
		add("size = $%d::bigint", *f)
	}
	if f := q.Filter.Ratio; f != nil {
		add("ratio = $%d::float8", *f)
	}
	if f := q.Filter.Weight; f != nil {
		add("weight = $%d::numeric", *f)
	}
	if f := q.Filter.SeenAt; f != nil {
		add("seen_at = $%d::timestamptz", *f)
	}
	if f := q.Filter.ShippedOn; f != nil {
		add("shipped_on = $%d::date", *f)
	}
	if f := q.Filter.Code; f != nil {
		add("code = $%d::uuid", *f)
	}
	if f := q.Filter.TagID; f != nil {
		add("tag_id = $%d::uuid", *f)
	}
	sql := `SELECT ` + columns + ` FROM boxes`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit, q.Offset)
	sql += fmt.Sprintf(` ORDER BY %s LIMIT $%d::bigint OFFSET $%d::bigint`, order, len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list boxes: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Box, error) {
		box, err := scan(row)
		if err != nil {
			return Box{}, err
		}
		return *box, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list boxes: %w", err)
	}
	return list, nil
}

// orderBy is the ORDER BY of a sort key. Each order ends on id, so that a
// page never repeats or skips a row of the one before.
func orderBy(sort string) (string, bool) {
	switch sort {
	case "created_at":
		return "created_at, id", true
	case "-created_at":
		return "created_at DESC, id DESC", true
	case "label":
		return "label, id", true
	case "-label":
		return "label DESC, id DESC", true
	case "note":
		return "note, id", true
	case "-note":
		return "note DESC, id DESC", true
	case "size":
		return "size, id", true
	case "-size":
		return "size DESC, id DESC", true
	case "ratio":
		return "ratio, id", true
	case "-ratio":
		return "ratio DESC, id DESC", true
	case "weight":
		return "weight, id", true
	case "-weight":
		return "weight DESC, id DESC", true
	case "fragile":
		return "fragile, id", true
	case "-fragile":
		return "fragile DESC, id DESC", true
	case "seen_at":
		return "seen_at, id", true
	case "-seen_at":
		return "seen_at DESC, id DESC", true
	case "shipped_on":
		return "shipped_on, id", true
	case "-shipped_on":
		return "shipped_on DESC, id DESC", true
	case "code":
		return "code, id", true
	case "-code":
		return "code DESC, id DESC", true
	case "tag_id":
		return "tag_id, id", true
	case "-tag_id":
		return "tag_id DESC, id DESC", true
	case "updated_at":
		return "updated_at, id", true
	case "-updated_at":
		return "updated_at DESC, id DESC", true
	}
	return "", false
}

// column is a writable column of boxes with the value an Input gives it.
type column struct {
	name, cast string
	value      any
}

// columns are the writable columns and the values in gives them.
func (in *Input) columns() []column {
	return []column{
		{"label", "text", in.Label},
		{"note", "text", in.Note},
		{"size", "bigint", in.Size},
		{"ratio", "float8", in.Ratio},
		{"weight", "numeric", in.Weight},
		{"fragile", "boolean", in.Fragile},
		{"seen_at", "timestamptz", in.SeenAt},
		{"shipped_on", "date", in.ShippedOn},
		{"code", "uuid", in.Code},
		{"meta", "jsonb", in.Meta},
		{"tag_id", "uuid", in.TagID},
	}
}

// Update writes the fields in holds (a PUT holds them all) to the box
// id, and returns it.
func (s *Store) Update(ctx context.Context, id uuid.UUID, in Input) (*Box, error) {
	if err := s.checkRefs(ctx, in); err != nil {
		return nil, err
	}
	args := []any{id}
	var set []string
	for _, c := range in.columns() {
		if in.given[c.name] {
			args = append(args, c.value)
			set = append(set, fmt.Sprintf("%s = $%d::%s", c.name, len(args), c.cast))
		}
	}
	if len(set) == 0 {
		return s.Get(ctx, id) // an empty PATCH changes nothing
	}
	box, err := scan(s.pool.QueryRow(ctx, `UPDATE boxes SET `+strings.Join(set, ", ")+`
		WHERE id = $1::uuid
		RETURNING `+columns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Box")
	}
	if err != nil {
		return nil, writeError("update", err)
	}
	return box, nil
}

// Delete removes the box id.
func (s *Store) Delete(ctx context.Context, id uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM boxes
		WHERE id = $1::uuid`, id)
	if err != nil {
		return writeError("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Box")
	}
	return nil
}

// checkRefs answers 400 for a ref to a row that does not exist, naming the field. (The foreign keys hold the rest: a
// row deleted meanwhile fails the write, see writeError.)
func (s *Store) checkRefs(ctx context.Context, in Input) error {
	if in.TagID != nil {
		var ok bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tags
			WHERE id = $1::uuid)`, *in.TagID).Scan(&ok)
		if err != nil {
			return fmt.Errorf("check tag_id: %w", err)
		}
		if !ok {
			return apperr.Validation("tag_id", "must be the id of an existing tag")
		}
	}
	return nil
}

// writeError turns what the database refuses in a write into the API's
// errors (23505 is unique_violation, 23503 foreign_key_violation).
func writeError(op string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("%s box: %w", op, err)
	}
	switch pgErr.ConstraintName {
	case "boxes_label_key":
		e := apperr.Conflict("Another box has this label")
		e.Field = "label"
		return e
	case "boxes_weight_key":
		e := apperr.Conflict("Another box has this weight")
		e.Field = "weight"
		return e
	case "boxes_shipped_on_key":
		e := apperr.Conflict("Another box has this shipped_on")
		e.Field = "shipped_on"
		return e
	case "boxes_code_key":
		e := apperr.Conflict("Another box has this code")
		e.Field = "code"
		return e
	case "boxes_tag_id_fkey":
		return apperr.Validation("tag_id", "must be the id of an existing tag")
	}
	if pgErr.Code == "23503" {
		// Rows of another resource point to this one.
		return apperr.Conflict("Box is still referred to by other rows")
	}
	return fmt.Errorf("%s box: %w", op, err)
}
