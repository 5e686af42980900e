package httpapi

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
)

// AuthRoutes are the routes of accounts, sessions and users.
func AuthRoutes(s *Server, api *gin.RouterGroup) {
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
}
