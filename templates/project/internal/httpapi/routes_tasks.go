package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// TaskRoutes are the routes of the task queue on store; quota caps the
// tasks one user creates.
func TaskRoutes(store *tasks.Store, quota tasks.Quota) Routes {
	h := &taskHandlers{store: store, quota: quota}
	return func(s *Server, api *gin.RouterGroup) {
		api.GET("/tasks/types", Handle(h.handleListTaskTypes))
		api.POST("/tasks/types", s.RequireAuth, s.RequireRole(auth.RoleAdmin), Handle(h.handleUpsertTaskType))
		api.POST("/tasks/types/:task_type/pause", s.RequireAuth, s.RequireRole(auth.RoleModerator), Handle(h.handleSetTaskTypePaused(true)))
		api.POST("/tasks/types/:task_type/resume", s.RequireAuth, s.RequireRole(auth.RoleModerator), Handle(h.handleSetTaskTypePaused(false)))
		tg := api.Group("/tasks", s.RequireAuth)
		tg.POST("", Handle(h.handleCreateTask))
		tg.GET("", Handle(h.handleListTasks))
		tg.GET("/stats", s.RequireRole(auth.RoleModerator), Handle(h.handleTaskStats))
		tg.GET("/dead-letter", Handle(h.handleDeadLetter))
		tg.GET("/:id", Handle(h.handleGetTask))
		tg.POST("/:id/cancel", Handle(h.handleTaskAction(cancelTask, "Task cancelled")))
		tg.POST("/:id/retry", Handle(h.handleTaskAction(retryTask, "Task queued again")))
		tg.DELETE("/:id", Handle(h.handleDeleteTask))
	}
}
