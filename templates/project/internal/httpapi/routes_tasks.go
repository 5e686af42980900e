package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// TaskRoutes are the routes of the task queue.
func TaskRoutes(s *Server, api *gin.RouterGroup) {
	api.GET("/tasks/types", Handle(s.handleListTaskTypes))
	api.POST("/tasks/types", s.requireAuth, s.requireRole(auth.RoleAdmin), Handle(s.handleUpsertTaskType))
	api.POST("/tasks/types/:task_type/pause", s.requireAuth, s.requireRole(auth.RoleModerator), Handle(s.handleSetTaskTypePaused(true)))
	api.POST("/tasks/types/:task_type/resume", s.requireAuth, s.requireRole(auth.RoleModerator), Handle(s.handleSetTaskTypePaused(false)))
	tg := api.Group("/tasks", s.requireAuth)
	tg.POST("", Handle(s.handleCreateTask))
	tg.GET("", Handle(s.handleListTasks))
	tg.GET("/stats", s.requireRole(auth.RoleModerator), Handle(s.handleTaskStats))
	tg.GET("/dead-letter", Handle(s.handleDeadLetter))
	tg.GET("/:id", Handle(s.handleGetTask))
	tg.POST("/:id/cancel", Handle(s.handleTaskAction(cancelTask, "Task cancelled")))
	tg.POST("/:id/retry", Handle(s.handleTaskAction(retryTask, "Task queued again")))
	tg.DELETE("/:id", Handle(s.handleDeleteTask))
}
