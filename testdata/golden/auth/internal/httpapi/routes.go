package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/demo/internal/auth"
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

	if s.ExtraRoutes != nil {
		s.ExtraRoutes(api)
	}
}
