package tasks

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

var typeNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidTypeName reports whether name may name a task type: 1–64 letters,
// digits, underscores or hyphens.
func ValidTypeName(name string) bool { return typeNameRE.MatchString(name) }

const typeColumns = `task_type, description, is_active, paused, min_role, created_at, updated_at`

func typeFields(t *TaskType) []any {
	return []any{&t.TaskType, &t.Description, &t.IsActive, &t.Paused, &t.MinRole, &t.CreatedAt, &t.UpdatedAt}
}

// Types lists the active task types by name.
func (s *Store) Types(ctx context.Context) ([]TaskType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+typeColumns+` FROM task_types WHERE is_active ORDER BY task_type`)
	if err != nil {
		return nil, fmt.Errorf("list task types: %w", err)
	}
	out := []TaskType{}
	var t TaskType
	_, err = pgx.ForEachRow(rows, typeFields(&t), func() error { out = append(out, t); return nil })
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
		Scan(append(typeFields(&tt), &created)...)
	if err != nil {
		return TaskType{}, false, fmt.Errorf("upsert task type %s: %w", name, err)
	}
	return tt, created, nil
}

// TypeSpec is a task type as a worker registers it.
type TypeSpec struct {
	Name string
	// Description is kept as it is in the database when empty.
	Description string
	// MinRole is the lowest role that may create the type's tasks through
	// the API; empty means user.
	MinRole auth.Role
}

// RegisterTypes upserts the types a worker handles, in one statement, so that
// the API accepts them. A registered type is active; whether it is paused is
// left as it was.
func (s *Store) RegisterTypes(ctx context.Context, types []TypeSpec) error {
	names := make([]string, len(types))
	descriptions := make([]string, len(types))
	roles := make([]string, len(types))
	for i, t := range types {
		names[i], descriptions[i], roles[i] = t.Name, t.Description, string(t.MinRole)
		if t.MinRole == "" {
			roles[i] = string(auth.RoleUser)
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO task_types (task_type, description, min_role)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT (task_type) DO UPDATE SET
			description = CASE WHEN EXCLUDED.description = '' THEN task_types.description ELSE EXCLUDED.description END,
			min_role = EXCLUDED.min_role, is_active = true, updated_at = now()`, names, descriptions, roles)
	if err != nil {
		return fmt.Errorf("register task types: %w", err)
	}
	return nil
}

// SetPaused pauses or resumes a task type. A paused type still accepts
// tasks, but no worker claims them until it is resumed. Its waiting tasks
// are marked (or unmarked) in the same transaction: a write per waiting task
// of the type, once, so that claims do not pay for the pause. Both wake the
// listening workers (for a pause, harmlessly), so that resumed tasks start
// at once. A type that does not exist is apperr NotFound.
//
// The marking is a statement of its own, after the type's row is updated:
// a creation or a retry reads the type FOR SHARE, so the update waits for
// those under way, and the marking, whose snapshot is taken after that
// wait, sees their tasks. Marked in the same statement, a task created
// while the type was being resumed stayed marked paused for good.
func (s *Store) SetPaused(ctx context.Context, name string, paused bool) (TaskType, error) {
	// Each statement names the index it can use: the claim index finds the
	// waiting tasks to mark, tasks_paused_idx the marked ones.
	mark := `UPDATE tasks SET paused = true
		WHERE task_type = $1 AND status IN ('pending', 'retrying') AND NOT paused`
	if !paused {
		mark = `UPDATE tasks SET paused = false WHERE task_type = $1 AND paused`
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE task_types SET paused = $2, updated_at = now() WHERE task_type = $1
		RETURNING `+typeColumns, name, paused)
	b.Queue(mark, name)
	b.Queue(`SELECT pg_notify('tasks_new', '')`)
	tt, err := setPaused(s.pool.SendBatch(ctx, b))
	if errors.Is(err, pgx.ErrNoRows) {
		return TaskType{}, apperr.NotFound("Task type")
	}
	if err != nil {
		return TaskType{}, fmt.Errorf("set task type %s paused: %w", name, err)
	}
	return tt, nil
}

// setPaused reads the results of SetPaused's batch, which it closes.
func setPaused(br pgx.BatchResults) (TaskType, error) {
	var tt TaskType
	err := br.QueryRow().Scan(typeFields(&tt)...)
	for range 2 {
		if _, xerr := br.Exec(); err == nil {
			err = xerr
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tt, err
}
