package tasks

import (
	"context"
	"log/slog"
	"unicode/utf8"
)

// TypeResizeImage is a task type of this service's own, registered by
// registerResizeImage in ownTypes (own_types.go).
const TypeResizeImage = "resize_image"

// MaxResizeImageInput bounds the input of a resize_image task, in characters.
const MaxResizeImageInput = 1000

// resizeImagePayload is the payload of a resize_image task. Pointers tell a
// missing field from an empty one.
type resizeImagePayload struct {
	// Input is what the task works on: replace it with the fields the work
	// needs, each checked in validate.
	Input *string `json:"input"`
}

// ResizeImageResult is the result of a resize_image task,
// stored as JSON in the task's result.
type ResizeImageResult struct {
	Input      string `json:"input"`
	Characters int    `json:"characters"`
}

// resizeImageHandler runs resize_image tasks.
type resizeImageHandler struct {
	log *slog.Logger
}

// registerResizeImage registers resize_image with the worker.
// Any user may create its tasks; add MinRole(auth.RoleAdmin) when its
// effects reach beyond its owner's own data, as file_cleanup does.
func registerResizeImage(r *Registry, b Builtins) {
	r.Register(TypeResizeImage, "Resize image: {input (1–1000 characters)}", resizeImageHandler{log: b.Logger})
}

// Handle runs one attempt. A payload that breaks the rules fails the task at
// once (another attempt cannot fix it); any other error is retried by the
// task's strategy. ctx ends at the handler timeout or when the worker stops:
// return promptly then. The work here echoes the input and counts its
// characters: replace it with the task's own.
func (h resizeImageHandler) Handle(ctx context.Context, t *Task) (any, error) {
	var p resizeImagePayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if err := p.validate(t.TaskType); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.log.InfoContext(ctx, "resize_image task handled", "task_id", t.ID)
	return ResizeImageResult{Input: *p.Input, Characters: utf8.RuneCountInString(*p.Input)}, nil
}

// validate checks the payload's rules, naming the field that breaks one.
func (p resizeImagePayload) validate(taskType string) error {
	if p.Input == nil {
		return invalid(taskType, "input is required")
	}
	if n := utf8.RuneCountInString(*p.Input); n < 1 || n > MaxResizeImageInput {
		return invalid(taskType, "input must be 1–%d characters", MaxResizeImageInput)
	}
	return nil
}
