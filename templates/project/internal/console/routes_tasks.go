package console

import "github.com/gin-gonic/gin"

// Routes adds the task pages to console (/console, moderators and admins).
func (t *Tasks) Routes(console *gin.RouterGroup, cs *Console) {
	t.cs = cs
	console.GET("/tasks", cs.page(t.handleTasks))
	console.POST("/tasks/bulk", cs.page(t.handleBulk))
	console.GET("/tasks/:id", cs.page(t.handleTask))
	console.POST("/tasks/:id/retry", cs.page(t.handleRetry))
	console.POST("/tasks/:id/cancel", cs.page(t.handleCancel))
	console.POST("/tasks/:id/delete", cs.page(t.handleDelete))
	console.GET("/dead-letter", cs.page(t.handleDeadLetter))
	console.POST("/dead-letter/retry", cs.page(t.handleRetryGroup))
	console.POST("/types/:task_type/pause", cs.page(t.handleSetPaused(true)))
	console.POST("/types/:task_type/resume", cs.page(t.handleSetPaused(false)))
}
