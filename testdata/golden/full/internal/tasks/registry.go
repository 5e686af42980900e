package tasks

import (
	"context"
	"fmt"
	"slices"
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
}

// Registry maps task types to their handlers. A worker claims only the types
// of its registry and registers them in the database at start-up.
type Registry struct {
	entries map[string]entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]entry{}} }

// Register adds a handler. A bad or duplicate name is a programming error and
// panics, as http.ServeMux does.
func (r *Registry) Register(taskType, description string, h Handler) {
	if !ValidTypeName(taskType) {
		panic(fmt.Sprintf("tasks: invalid task type name %q", taskType))
	}
	if _, dup := r.entries[taskType]; dup {
		panic(fmt.Sprintf("tasks: task type %q registered twice", taskType))
	}
	r.entries[taskType] = entry{description: description, handler: h}
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

func (r *Registry) descriptions(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = r.entries[n].description
	}
	return out
}
