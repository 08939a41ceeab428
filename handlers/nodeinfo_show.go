package handlers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
)

// nodeinfoIndexShow is GET /.well-known/nodeinfo: where the documents are.
func (s *Server) nodeinfoIndexShow(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, s.Fed.NodeInfoLinks())
}

// nodeinfoShow is GET /nodeinfo/2.0 and /nodeinfo/2.1.
func (s *Server) nodeinfoShow(c echo.Context) error {
	ver := strings.TrimSuffix(c.Param("version"), ".json")
	doc, err := s.Fed.NodeInfo(c.Request().Context(), ver, s.Cfg.Version)
	if err != nil {
		return err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "max-age=1800, public")
	return c.Blob(http.StatusOK, federation.NodeInfoProfile(ver), body)
}
