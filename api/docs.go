package api

import (
	_ "embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	swaggerfiles "github.com/swaggo/files/v2"
)

// OpenAPISpec is the API's OpenAPI 3 document, served at /openapi.yaml and checked by tests
// against the registered routes and real responses.
//
//go:embed openapi.yaml
var OpenAPISpec []byte

func (s *Server) openAPIDocument(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", OpenAPISpec)
}

// swaggerInitializer points the bundled Swagger UI at our document instead of its demo pet store.
const swaggerInitializer = `window.onload = function() {
  window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});
};`

// swaggerUI serves Swagger UI from files embedded in the binary, so /docs works offline.
func (s *Server) swaggerUI(c *gin.Context) {
	file := strings.TrimPrefix(c.Param("file"), "/")
	switch file {
	case "":
		if !strings.HasSuffix(c.Request.URL.Path, "/") {
			c.Redirect(http.StatusMovedPermanently, "/docs/")
			return
		}
		file = "index.html"
	case "swagger-initializer.js":
		c.Data(http.StatusOK, "application/javascript", []byte(swaggerInitializer))
		return
	}
	data, err := fs.ReadFile(swaggerfiles.FS, file)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: "not_found", Message: "no such file"}})
		return
	}
	ctype := mime.TypeByExtension(path.Ext(file))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, ctype, data)
}
