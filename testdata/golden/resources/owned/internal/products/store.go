package products

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

// Store reads and writes products. An owner argument restricts an operation
// to that user's products; nil means every product (moderators and up).
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

// columns are the columns of a product, in the order scan reads them.
const columns = `id, title, price, in_stock, category_id, created_by, created_at, updated_at`

func scan(row pgx.Row) (*Product, error) {
	var product Product
	err := row.Scan(&product.ID, &product.Title, &product.Price, &product.InStock,
		&product.CategoryID, &product.CreatedBy, &product.CreatedAt, &product.UpdatedAt)
	if err != nil {
		return nil, err
	}
	// Times go out in UTC, whatever the time zone of the server.
	product.CreatedAt, product.UpdatedAt = product.CreatedAt.UTC(), product.UpdatedAt.UTC()
	return &product, nil
}

// Create inserts a product made by createdBy.
func (s *Store) Create(ctx context.Context, in Input, createdBy uuid.UUID) (*Product, error) {
	if err := s.checkRefs(ctx, in); err != nil {
		return nil, err
	}
	product, err := scan(s.pool.QueryRow(ctx, `
		INSERT INTO products (title, price, in_stock, category_id, created_by)
		VALUES ($1::text, $2::numeric, $3::boolean, $4::uuid, $5::uuid)
		RETURNING `+columns,
		in.Title, in.Price, in.InStock, in.CategoryID, createdBy))
	if err != nil {
		return nil, writeError("create", err)
	}
	return product, nil
}

// Get returns the product id, when owner may see it.
func (s *Store) Get(ctx context.Context, id uuid.UUID, owner *uuid.UUID) (*Product, error) {
	product, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM products
		WHERE id = $1::uuid AND ($2::uuid IS NULL OR created_by = $2::uuid)`, id, owner))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Product")
	}
	if err != nil {
		return nil, fmt.Errorf("get product: %w", err)
	}
	return product, nil
}

// Query selects, orders and pages products for List.
type Query struct {
	// Owner limits the list to one user's products; nil: everyone's.
	Owner  *uuid.UUID
	Filter Filter
	// Sort is a key of orderBy: a column, "-" first for descending.
	Sort          string
	Limit, Offset int
}

// Filter keeps the products whose fields equal the values set; nil
// fields do not filter.
type Filter struct {
	InStock    *bool
	CategoryID *uuid.UUID
}

// List returns a page of products.
func (s *Store) List(ctx context.Context, q Query) ([]Product, error) {
	order, ok := orderBy(q.Sort)
	if !ok {
		return nil, fmt.Errorf("list products: unknown sort %q", q.Sort)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Owner != nil {
		add("created_by = $%d::uuid", *q.Owner)
	}
	if f := q.Filter.InStock; f != nil {
		add("in_stock = $%d::boolean", *f)
	}
	if f := q.Filter.CategoryID; f != nil {
		add("category_id = $%d::uuid", *f)
	}
	sql := `SELECT ` + columns + ` FROM products`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit, q.Offset)
	sql += fmt.Sprintf(` ORDER BY %s LIMIT $%d::bigint OFFSET $%d::bigint`, order, len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Product, error) {
		product, err := scan(row)
		if err != nil {
			return Product{}, err
		}
		return *product, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
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
	case "title":
		return "title, id", true
	case "-title":
		return "title DESC, id DESC", true
	case "price":
		return "price, id", true
	case "-price":
		return "price DESC, id DESC", true
	case "in_stock":
		return "in_stock, id", true
	case "-in_stock":
		return "in_stock DESC, id DESC", true
	case "category_id":
		return "category_id, id", true
	case "-category_id":
		return "category_id DESC, id DESC", true
	case "updated_at":
		return "updated_at, id", true
	case "-updated_at":
		return "updated_at DESC, id DESC", true
	}
	return "", false
}

// column is a writable column of products with the value an Input gives it.
type column struct {
	name, cast string
	value      any
}

// columns are the writable columns and the values in gives them.
func (in *Input) columns() []column {
	return []column{
		{"title", "text", in.Title},
		{"price", "numeric", in.Price},
		{"in_stock", "boolean", in.InStock},
		{"category_id", "uuid", in.CategoryID},
	}
}

// Update writes the fields in holds (a PUT holds them all) to the product
// id, when owner may see it, and returns it.
func (s *Store) Update(ctx context.Context, id uuid.UUID, in Input, owner *uuid.UUID) (*Product, error) {
	if err := s.checkRefs(ctx, in); err != nil {
		return nil, err
	}
	args := []any{id, owner}
	var set []string
	for _, c := range in.columns() {
		if in.given[c.name] {
			args = append(args, c.value)
			set = append(set, fmt.Sprintf("%s = $%d::%s", c.name, len(args), c.cast))
		}
	}
	if len(set) == 0 {
		return s.Get(ctx, id, owner) // an empty PATCH changes nothing
	}
	product, err := scan(s.pool.QueryRow(ctx, `UPDATE products SET `+strings.Join(set, ", ")+`
		WHERE id = $1::uuid AND ($2::uuid IS NULL OR created_by = $2::uuid)
		RETURNING `+columns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Product")
	}
	if err != nil {
		return nil, writeError("update", err)
	}
	return product, nil
}

// Delete removes the product id, when owner may see it.
func (s *Store) Delete(ctx context.Context, id uuid.UUID, owner *uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM products
		WHERE id = $1::uuid AND ($2::uuid IS NULL OR created_by = $2::uuid)`, id, owner)
	if err != nil {
		return writeError("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Product")
	}
	return nil
}

// checkRefs answers 400 for a ref to a row that does not exist, naming the field. (The foreign keys hold the rest: a
// row deleted meanwhile fails the write, see writeError.)
func (s *Store) checkRefs(ctx context.Context, in Input) error {
	if in.CategoryID != nil {
		var ok bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM categories
			WHERE id = $1::uuid)`, *in.CategoryID).Scan(&ok)
		if err != nil {
			return fmt.Errorf("check category_id: %w", err)
		}
		if !ok {
			return apperr.Validation("category_id", "must be the id of an existing category")
		}
	}
	return nil
}

// writeError turns what the database refuses in a write into the API's
// errors (23505 is unique_violation, 23503 foreign_key_violation).
func writeError(op string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("%s product: %w", op, err)
	}
	switch pgErr.ConstraintName {
	case "products_category_id_fkey":
		return apperr.Validation("category_id", "must be the id of an existing category")
	}
	if pgErr.Code == "23503" {
		// Rows of another resource point to this one.
		return apperr.Conflict("Product is still referred to by other rows")
	}
	return fmt.Errorf("%s product: %w", op, err)
}
