package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// accountRoleUpdate is the owner giving another account a role.
func (s *Server) accountRoleUpdate(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "change accounts' roles"); !ok {
		return err
	}
	ctx := c.Request().Context()
	role := c.Request().PostFormValue("role")
	if !models.ValidRole(role) {
		return s.renderAccounts(c, http.StatusBadRequest, accountsData{Error: "Choose owner, editor or author."})
	}
	id, err := idParam(c)
	var a *models.Author
	if err == nil {
		a, err = s.Store.AuthorByID(ctx, id)
	}
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This account does not exist.", "/admin/accounts/")
	}
	if err != nil {
		return err
	}
	me := currentUser(c)
	if a.ID == me.ID && role != a.Role {
		// An owner demoting themselves by mistake could not undo it.
		return s.renderAccounts(c, http.StatusUnprocessableEntity, accountsData{Error: "You cannot change your own role; another owner can."})
	}
	err = s.Store.SetAuthorRole(ctx, a.ID, role)
	if errors.Is(err, models.ErrLastOwner) {
		return s.renderAccounts(c, http.StatusUnprocessableEntity, accountsData{Error: "The blog needs at least one owner."})
	}
	if err != nil {
		return err
	}
	s.Log.Info("role changed", "account", a.Username, "from", a.Role, "to", role, "by", me.Username)
	return redirectSeeOther(c, "/admin/accounts/?done=role")
}
