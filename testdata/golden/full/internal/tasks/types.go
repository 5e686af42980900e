package tasks

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var typeNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidTypeName reports whether name may name a task type: 1–64 letters,
// digits, underscores or hyphens.
func ValidTypeName(name string) bool { return typeNameRE.MatchString(name) }

const typeColumns = `task_type, description, is_active, created_at, updated_at`

// Types lists the active task types by name.
func (s *Store) Types(ctx context.Context) ([]TaskType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+typeColumns+` FROM task_types WHERE is_active ORDER BY task_type`)
	if err != nil {
		return nil, fmt.Errorf("list task types: %w", err)
	}
	out := []TaskType{}
	var t TaskType
	_, err = pgx.ForEachRow(rows, []any{&t.TaskType, &t.Description, &t.IsActive, &t.CreatedAt, &t.UpdatedAt},
		func() error { out = append(out, t); return nil })
	if err != nil {
		return nil, fmt.Errorf("list task types: %w", err)
	}
	return out, nil
}

// UpsertType registers a task type, or updates its description and marks it
// active again; created tells which.
func (s *Store) UpsertType(ctx context.Context, name, description string) (tt TaskType, created bool, err error) {
	err = s.pool.QueryRow(ctx, `INSERT INTO task_types (task_type, description) VALUES ($1, $2)
		ON CONFLICT (task_type) DO UPDATE SET description = EXCLUDED.description, is_active = true, updated_at = now()
		RETURNING `+typeColumns+`, xmax = 0`, name, description).
		Scan(&tt.TaskType, &tt.Description, &tt.IsActive, &tt.CreatedAt, &tt.UpdatedAt, &created)
	if err != nil {
		return TaskType{}, false, fmt.Errorf("upsert task type %s: %w", name, err)
	}
	return tt, created, nil
}

// RegisterTypes upserts the types a worker handles, in one statement, so that
// the API accepts them. Descriptions already set are kept when desc is empty.
func (s *Store) RegisterTypes(ctx context.Context, names, descriptions []string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO task_types (task_type, description)
		SELECT * FROM unnest($1::text[], $2::text[])
		ON CONFLICT (task_type) DO UPDATE SET
			description = CASE WHEN EXCLUDED.description = '' THEN task_types.description ELSE EXCLUDED.description END,
			is_active = true, updated_at = now()`, names, descriptions)
	if err != nil {
		return fmt.Errorf("register task types: %w", err)
	}
	return nil
}
