package categories

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/apperr"
)

// Store reads and writes categories.
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

// columns are the columns of a category, in the order scan reads them.
const columns = `id, name, about, created_at, updated_at`

func scan(row pgx.Row) (*Category, error) {
	var category Category
	err := row.Scan(&category.ID, &category.Name, &category.About, &category.CreatedAt,
		&category.UpdatedAt)
	if err != nil {
		return nil, err
	}
	// Times go out in UTC, whatever the time zone of the server.
	category.CreatedAt, category.UpdatedAt = category.CreatedAt.UTC(), category.UpdatedAt.UTC()
	return &category, nil
}

// Create inserts a category.
func (s *Store) Create(ctx context.Context, in Input) (*Category, error) {
	category, err := scan(s.pool.QueryRow(ctx, `
		INSERT INTO categories (name, about)
		VALUES ($1::text, $2::text)
		RETURNING `+columns,
		in.Name, in.About))
	if err != nil {
		return nil, writeError("create", err)
	}
	return category, nil
}

// Get returns the category id.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (*Category, error) {
	category, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM categories
		WHERE id = $1::uuid`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Category")
	}
	if err != nil {
		return nil, fmt.Errorf("get category: %w", err)
	}
	return category, nil
}

// Query selects, orders and pages categories for List.
type Query struct {
	Filter Filter
	// Sort is a key of orderBy: a column, "-" first for descending.
	Sort          string
	Limit, Offset int
}

// Filter keeps the categories whose fields equal the values set; nil
// fields do not filter.
type Filter struct {
	Name *string
}

// List returns a page of categories.
func (s *Store) List(ctx context.Context, q Query) ([]Category, error) {
	order, ok := orderBy(q.Sort)
	if !ok {
		return nil, fmt.Errorf("list categories: unknown sort %q", q.Sort)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f := q.Filter.Name; f != nil {
		add("name = $%d::text", *f)
	}
	sql := `SELECT ` + columns + ` FROM categories`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit, q.Offset)
	sql += fmt.Sprintf(` ORDER BY %s LIMIT $%d::bigint OFFSET $%d::bigint`, order, len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Category, error) {
		category, err := scan(row)
		if err != nil {
			return Category{}, err
		}
		return *category, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
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
	case "name":
		return "name, id", true
	case "-name":
		return "name DESC, id DESC", true
	case "about":
		return "about, id", true
	case "-about":
		return "about DESC, id DESC", true
	case "updated_at":
		return "updated_at, id", true
	case "-updated_at":
		return "updated_at DESC, id DESC", true
	}
	return "", false
}

// column is a writable column of categories with the value an Input gives it.
type column struct {
	name, cast string
	value      any
}

// columns are the writable columns and the values in gives them.
func (in *Input) columns() []column {
	return []column{
		{"name", "text", in.Name},
		{"about", "text", in.About},
	}
}

// Update writes the fields in holds (a PUT holds them all) to the category
// id, and returns it.
func (s *Store) Update(ctx context.Context, id uuid.UUID, in Input) (*Category, error) {
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
	category, err := scan(s.pool.QueryRow(ctx, `UPDATE categories SET `+strings.Join(set, ", ")+`
		WHERE id = $1::uuid
		RETURNING `+columns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Category")
	}
	if err != nil {
		return nil, writeError("update", err)
	}
	return category, nil
}

// Delete removes the category id.
func (s *Store) Delete(ctx context.Context, id uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM categories
		WHERE id = $1::uuid`, id)
	if err != nil {
		return writeError("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Category")
	}
	return nil
}

// writeError turns what the database refuses in a write into the API's
// errors (23505 is unique_violation, 23503 foreign_key_violation).
func writeError(op string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("%s category: %w", op, err)
	}
	switch pgErr.ConstraintName {
	case "categories_name_key":
		e := apperr.Conflict("Another category has this name")
		e.Field = "name"
		return e
	}
	if pgErr.Code == "23503" {
		// Rows of another resource point to this one.
		return apperr.Conflict("Category is still referred to by other rows")
	}
	return fmt.Errorf("%s category: %w", op, err)
}
