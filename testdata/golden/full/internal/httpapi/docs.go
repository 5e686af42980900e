package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi/openapi"
)

// handleOpenAPI serves the OpenAPI document, marshalled once at start-up.
func (s *Server) handleOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, jsonContentType, s.openapiJSON)
}

// handleDocsPage serves the page that renders the document. It is the one
// answer whose Content-Security-Policy is looser than the service's: the
// page runs the renderer's script and styles, all served from here.
func (s *Server) handleDocsPage(c *gin.Context) {
	page := openapi.Page()
	c.Header("Content-Security-Policy", openapi.PageCSP)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, page.ContentType, page.Body)
}

// handleDocsAsset serves a script, style sheet or licence of the page. The
// files change only with the binary: the browser keeps them and revalidates
// with their ETag (304 without a body when unchanged).
func (s *Server) handleDocsAsset(c *gin.Context) error {
	a, ok := openapi.LookupAsset(c.Param("asset"))
	if !ok {
		return apperr.NotFound("Asset")
	}
	c.Header("ETag", a.ETag)
	c.Header("Cache-Control", "no-cache")
	if c.GetHeader("If-None-Match") == a.ETag {
		c.Status(http.StatusNotModified)
		return nil
	}
	c.Data(http.StatusOK, a.ContentType, a.Body)
	return nil
}
