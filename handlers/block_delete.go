package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// blockDelete removes a block and shows again what no other block covers.
func (s *Server) blockDelete(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage blocks"); !ok {
		return err
	}
	id, err := idParam(c)
	var unhidden int64
	if err == nil {
		unhidden, err = s.Store.DeleteBlock(c.Request().Context(), id)
	}
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This block does not exist.", "/admin/blocks/")
	}
	if err != nil {
		return err
	}
	by := ""
	if u := currentUser(c); u != nil {
		by = u.Username
	}
	s.Log.Info("block removed", "block", id, "unhidden", unhidden, "by", by)
	return redirectSeeOther(c, "/admin/blocks/?done=removed")
}
