package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// TaskRoutes are the routes of the task queue.
func TaskRoutes(s *Server, api *gin.RouterGroup) {
	api.GET("/tasks/types", s.handleListTaskTypes)
	api.POST("/tasks/types", s.requireAuth, s.requireRole(auth.RoleAdmin), s.handleUpsertTaskType)
	api.POST("/tasks/types/:task_type/pause", s.requireAuth, s.requireRole(auth.RoleModerator), s.handleSetTaskTypePaused(true))
	api.POST("/tasks/types/:task_type/resume", s.requireAuth, s.requireRole(auth.RoleModerator), s.handleSetTaskTypePaused(false))
	tg := api.Group("/tasks", s.requireAuth)
	tg.POST("", s.handleCreateTask)
	tg.GET("", s.handleListTasks)
	tg.GET("/stats", s.requireRole(auth.RoleModerator), s.handleTaskStats)
	tg.GET("/dead-letter", s.handleDeadLetter)
	tg.GET("/:id", s.handleGetTask)
	tg.POST("/:id/cancel", s.handleTaskAction(cancelTask, "Task cancelled"))
	tg.POST("/:id/retry", s.handleTaskAction(retryTask, "Task queued again"))
	tg.DELETE("/:id", s.handleDeleteTask)
}
