package tasks

import (
	"context"
	"fmt"
	"slices"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// Handler runs one attempt of a task. Its result is stored as JSON in the
// task's result; an error fails the attempt. ctx ends at the handler timeout
// or when the worker stops: handlers must return promptly then.
type Handler interface {
	Handle(ctx context.Context, t *Task) (any, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, t *Task) (any, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, t *Task) (any, error) { return f(ctx, t) }

type entry struct {
	description string
	handler     Handler
	minRole     auth.Role
}

// TypeOption sets a property of a task type at registration.
type TypeOption func(*entry)

// MinRole makes role the lowest that may create the type's tasks through the
// API (default user): a type whose results or effects reach beyond its
// owner's own data, such as file_cleanup, needs more.
func MinRole(role auth.Role) TypeOption {
	return func(e *entry) { e.minRole = role }
}

// Registry maps task types to their handlers. A worker claims only the types
// of its registry and registers them in the database at start-up.
type Registry struct {
	entries map[string]entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]entry{}} }

// Register adds a handler. A bad or duplicate name, or an unknown role, is a
// programming error and panics, as http.ServeMux does.
func (r *Registry) Register(taskType, description string, h Handler, opts ...TypeOption) {
	if !ValidTypeName(taskType) {
		panic(fmt.Sprintf("tasks: invalid task type name %q", taskType))
	}
	if _, dup := r.entries[taskType]; dup {
		panic(fmt.Sprintf("tasks: task type %q registered twice", taskType))
	}
	e := entry{description: description, handler: h, minRole: auth.RoleUser}
	for _, o := range opts {
		o(&e)
	}
	if _, ok := auth.ParseRole(string(e.minRole)); !ok {
		panic(fmt.Sprintf("tasks: task type %q: unknown role %q", taskType, e.minRole))
	}
	r.entries[taskType] = e
}

// Types returns the registered type names, sorted.
func (r *Registry) Types() []string {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (r *Registry) handler(taskType string) (Handler, bool) {
	e, ok := r.entries[taskType]
	return e.handler, ok
}

// Specs returns the registered types as a worker writes them to the
// database, sorted by name.
func (r *Registry) Specs() []TypeSpec {
	names := r.Types()
	out := make([]TypeSpec, len(names))
	for i, n := range names {
		e := r.entries[n]
		out[i] = TypeSpec{Name: n, Description: e.description, MinRole: e.minRole}
	}
	return out
}
