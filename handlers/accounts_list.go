package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// accountRow is one account on the accounts page.
type accountRow struct {
	ID       uint
	Username string
	Name     string
	Role     string
	Since    time.Time
	Self     bool // the owner's own row: its role is not changed here
}

// roleOption is one role the owner can give, with what it allows.
type roleOption struct {
	Value, Label, Help string
}

type accountsData struct {
	Rows   []accountRow
	Roles  []roleOption
	Notice string
	Error  string
}

// roleOptions describe the roles, most powerful first (models.Roles).
func roleOptions() []roleOption {
	return []roleOption{
		{models.RoleOwner, "Owner", "Everything: settings, blocks, followers, accounts' roles, every article and comment."},
		{models.RoleEditor, "Editor", "Writes, edits, publishes and deletes any article; moderates every comment."},
		{models.RoleAuthor, "Author", "Writes, publishes and deletes their own articles; moderates the comments on them."},
	}
}

// accountNotices are the fixed messages behind ?done=.
var accountNotices = map[string]string{
	"role": "Role changed. It applies from the account's next page.",
}

// accountsList is the owner's list of accounts with their roles.
func (s *Server) accountsList(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage accounts and roles"); !ok {
		return err
	}
	return s.renderAccounts(c, http.StatusOK, accountsData{Notice: accountNotices[c.QueryParam("done")]})
}

func (s *Server) renderAccounts(c echo.Context, status int, d accountsData) error {
	authors, err := s.Store.ListAuthors(c.Request().Context())
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	for _, a := range authors {
		d.Rows = append(d.Rows, accountRow{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Since: a.CreatedAt, Self: a.ID == me})
	}
	d.Roles = roleOptions()
	return s.renderAdmin(c, status, "accounts", "Accounts", "accounts", d)
}
