package httpapi

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
)

// AuthRoutes are the routes of accounts, sessions and users.
func AuthRoutes(s *Server, api *gin.RouterGroup) {
	api.POST("/auth/register", Handle(s.handleRegister))
	api.POST("/auth/login", Handle(s.handleLogin))
	authed := api.Group("", s.RequireAuth)
	authed.POST("/auth/logout", Handle(s.handleLogout))
	authed.POST("/auth/logout-all", Handle(s.handleLogoutAll))
	authed.GET("/auth/me", Handle(s.handleMe))
	authed.POST("/auth/refresh", Handle(s.handleRefresh))
	authed.GET("/users/me", Handle(s.handleGetOwnProfile))
	authed.GET("/users/me/profile", Handle(s.handleGetOwnProfile))
	authed.PUT("/users/me/profile", Handle(s.handleUpdateOwnProfile))
	authed.PUT("/users/me/password", Handle(s.handleChangePassword))
	authed.DELETE("/users/me", Handle(s.handleDeleteSelf))
	authed.GET("/users/:id", Handle(s.handleGetUser))
	moderator := authed.Group("", s.RequireRole(auth.RoleModerator))
	moderator.GET("/users", Handle(s.handleListUsers))
	moderator.PUT("/users/:id/status", Handle(s.handleSetStatus))
	moderator.POST("/users/:id/reset-password", Handle(s.handleResetPassword))
	admin := authed.Group("", s.RequireRole(auth.RoleAdmin))
	admin.POST("/users", Handle(s.handleCreateUser))
	admin.PUT("/users/:id/profile", Handle(s.handleUpdateProfile))
	admin.PUT("/users/:id/role", Handle(s.handleSetRole))
	admin.DELETE("/users/:id", Handle(s.handleDeleteUser))
	admin.GET("/admin/users/stats", Handle(s.handleUserStats))
}
