package app

import (
	"github.com/starter-go/starter/templates/project/internal/console"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// consoleTasksFeature adds the task queue's pages to the console, when
// the console is on.
type consoleTasksFeature struct{}

func (consoleTasksFeature) wire(w *wiring) error {
	if w.console != nil {
		w.console.AddSection(console.NewTasks(tasks.NewStore(w.pool), w.cfg.Tasks.Lease))
	}
	return nil
}
