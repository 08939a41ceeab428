package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// Who may do what in the admin area, as WordPress bloggers know it:
//
//   - owner: everything: settings, blocks, followers, accounts' roles, and
//     every article, comment and upload;
//   - editor: every article (edit, publish, delete) and every comment; not
//     settings, blocks, followers or roles;
//   - author: their own articles and uploads, and the comments on their
//     articles.
//
// Every admin handler asks one of these functions before reading or
// changing anything. Ownership always comes from the stored row (an
// article's AuthorID), never from a form field, and the role from the
// session's account as loaded on this request.

// mayManageBlog: settings, blocks, followers and accounts' roles.
func mayManageBlog(u *models.Author) bool {
	return u != nil && u.Role == models.RoleOwner
}

// mayHandleAllWork: every author's articles, comments and uploads.
func mayHandleAllWork(u *models.Author) bool {
	return u != nil && (u.Role == models.RoleOwner || u.Role == models.RoleEditor)
}

// mayEditArticle: edit, publish, unpublish, delete a and see where it was
// delivered.
func mayEditArticle(u *models.Author, a *models.Article) bool {
	return mayHandleAllWork(u) || (u != nil && a.AuthorID == u.ID)
}

// mayModerateOn: moderate and answer the comments on a.
func mayModerateOn(u *models.Author, a *models.Article) bool {
	return mayEditArticle(u, a)
}

// workScope is the author whose work the admin lists show to u: 0 (every
// author's) for owners and editors, u's own for authors.
func workScope(u *models.Author) uint {
	if mayHandleAllWork(u) {
		return 0
	}
	return u.ID
}

// forbidden answers 403 with the admin error page saying what is refused,
// and logs the attempt.
func (s *Server) forbidden(c echo.Context, message, back string) error {
	u := currentUser(c)
	user, role := "", ""
	if u != nil {
		user, role = u.Username, u.Role
	}
	s.Log.Warn("admin action refused", "user", user, "role", role, "method", c.Request().Method, "path", c.Request().URL.Path)
	return s.adminErrorBack(c, http.StatusForbidden, message, back)
}

// requireBlogManager refuses what only the owner may do; handlers return
// when it reports false (the 403 page is written, or err is to be returned).
func (s *Server) requireBlogManager(c echo.Context, what string) (bool, error) {
	if mayManageBlog(currentUser(c)) {
		return true, nil
	}
	return false, s.forbidden(c, fmt.Sprintf("Only the blog's owner can %s.", what), "/admin/")
}

// othersArticle is the refusal of another author's article.
const othersArticle = "This article is another author's: only its author, an editor or the blog's owner can change it or see its deliveries."

// editableArticle loads the :id article for a change by the current
// account. When it returns nil, the 404 or 403 page is written, or err is
// to be returned.
func (s *Server) editableArticle(c echo.Context) (*models.Article, error) {
	id, err := idParam(c)
	var a *models.Article
	if err == nil {
		a, err = s.Store.ArticleByID(c.Request().Context(), id)
	}
	if isNotFound(err) || (err == nil && a.DeletedAt != nil) {
		return nil, s.adminErrorBack(c, http.StatusNotFound, "This article does not exist (it may have been deleted).", "/admin/articles/")
	}
	if err != nil {
		return nil, err
	}
	if !mayEditArticle(currentUser(c), a) {
		return nil, s.forbidden(c, othersArticle, "/admin/articles/")
	}
	return a, nil
}

// requireModeration refuses moderating or answering in on an article the
// current account may not moderate. When it reports false, the 403 page is
// written or err is to be returned.
func (s *Server) requireModeration(c echo.Context, in *models.Interaction) (bool, error) {
	if in.ArticleID == 0 {
		// A direct message answers no article: it is the blog's mail, read
		// and answered by those who handle all work (it does not record
		// which author it named).
		if mayHandleAllWork(currentUser(c)) {
			return true, nil
		}
		return false, s.forbidden(c, "Direct messages are answered by an editor or the blog's owner.", "/admin/messages/")
	}
	arts, err := s.Store.AdminArticlesByIDs(c.Request().Context(), []uint{in.ArticleID})
	if err != nil {
		return false, err
	}
	a, ok := arts[in.ArticleID]
	if ok && mayModerateOn(currentUser(c), &a) {
		return true, nil
	}
	return false, s.forbidden(c, "This comment is on another author's article: only its author, an editor or the blog's owner can moderate it.", "/admin/comments/")
}
