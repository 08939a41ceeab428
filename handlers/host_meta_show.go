package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// hostMetaShow is GET /.well-known/host-meta (RFC 6415): XRD, or JSON for
// clients asking for it.
func (s *Server) hostMetaShow(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	addVary(c, "Accept")
	if strings.Contains(c.Request().Header.Get("Accept"), "json") {
		return c.JSON(http.StatusOK, s.Fed.HostMetaJSON())
	}
	return c.Blob(http.StatusOK, "application/xrd+xml; charset=utf-8", []byte(s.Fed.HostMetaXML()))
}

// hostMetaJSONShow is GET /.well-known/host-meta.json.
func (s *Server) hostMetaJSONShow(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, s.Fed.HostMetaJSON())
}
