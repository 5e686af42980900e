package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// routes is the whole API surface in one place.
func (s *Server) routes() {
	e := s.engine
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})))

	api := e.Group("/api/v1")
	// The probes answer HEAD like GET, without the body (net/http drops it).
	api.GET("/health", s.handleHealth)
	api.HEAD("/health", s.handleHealth)
	api.GET("/health/detailed", s.handleHealthDetailed)
	api.HEAD("/health/detailed", s.handleHealthDetailed)
	api.GET("/health/live", s.handleLive)
	api.HEAD("/health/live", s.handleLive)
	api.GET("/health/ready", s.handleReady)
	api.HEAD("/health/ready", s.handleReady)
	api.GET("/health/startup", s.handleStartup)
	api.HEAD("/health/startup", s.handleStartup)
	if s.Config.Docs.Enabled {
		api.GET("/openapi.json", s.handleOpenAPI)
		api.GET("/docs", s.handleDocsPage)
		api.GET("/docs/:asset", s.handleDocsAsset)
	}

	// starter:feature auth
	api.POST("/auth/register", s.handleRegister)
	api.POST("/auth/login", s.handleLogin)
	authed := api.Group("", s.requireAuth)
	authed.POST("/auth/logout", s.handleLogout)
	authed.POST("/auth/logout-all", s.handleLogoutAll)
	authed.GET("/auth/me", s.handleMe)
	authed.POST("/auth/refresh", s.handleRefresh)
	authed.GET("/users/me", s.handleGetOwnProfile)
	authed.GET("/users/me/profile", s.handleGetOwnProfile)
	authed.PUT("/users/me/profile", s.handleUpdateOwnProfile)
	authed.PUT("/users/me/password", s.handleChangePassword)
	authed.DELETE("/users/me", s.handleDeleteSelf)
	authed.GET("/users/:id", s.handleGetUser)
	moderator := authed.Group("", s.requireRole(auth.RoleModerator))
	moderator.GET("/users", s.handleListUsers)
	moderator.PUT("/users/:id/status", s.handleSetStatus)
	moderator.POST("/users/:id/reset-password", s.handleResetPassword)
	admin := authed.Group("", s.requireRole(auth.RoleAdmin))
	admin.POST("/users", s.handleCreateUser)
	admin.PUT("/users/:id/profile", s.handleUpdateProfile)
	admin.PUT("/users/:id/role", s.handleSetRole)
	admin.DELETE("/users/:id", s.handleDeleteUser)
	admin.GET("/admin/users/stats", s.handleUserStats)
	// starter:end

	// starter:feature tasks
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
	// starter:end

	if s.ExtraRoutes != nil {
		s.ExtraRoutes(api)
	}
}
