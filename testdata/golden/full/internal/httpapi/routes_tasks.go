package httpapi

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
)

// TaskRoutes are the routes of the task queue.
func TaskRoutes(s *Server, api *gin.RouterGroup) {
	api.GET("/tasks/types", s.listTaskTypes)
	api.POST("/tasks/types", s.requireAuth, s.requireRole(auth.RoleAdmin), s.upsertTaskType)
	api.POST("/tasks/types/:task_type/pause", s.requireAuth, s.requireRole(auth.RoleModerator), s.setTaskTypePaused(true))
	api.POST("/tasks/types/:task_type/resume", s.requireAuth, s.requireRole(auth.RoleModerator), s.setTaskTypePaused(false))
	tg := api.Group("/tasks", s.requireAuth)
	tg.POST("", s.createTask)
	tg.GET("", s.listTasks)
	tg.GET("/stats", s.requireRole(auth.RoleModerator), s.taskStats)
	tg.GET("/dead-letter", s.deadLetter)
	tg.GET("/:id", s.getTask)
	tg.POST("/:id/cancel", s.taskAction(cancelTask, "Task cancelled"))
	tg.POST("/:id/retry", s.taskAction(retryTask, "Task queued again"))
	tg.DELETE("/:id", s.deleteTask)
}
