package handlers

import (
	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// articleAS2 answers an AS2 request for a visible article (its id or its
// permalink): the Article, or Note, built from the same row as the page.
func (s *Server) articleAS2(c echo.Context, a *models.Article) error {
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.ArticleObject(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return s.writeAS2(c, 200, doc)
}

// profileAS2 answers an AS2 request for a local actor (its id or profile
// page). Under authorized fetch an unsigned request still gets the actor,
// reduced to what verifying our signatures needs, as Mastodon does.
func (s *Server) profileAS2(c echo.Context, username string) error {
	required, err := s.checkFetch(c)
	keyOnly := false
	if err != nil {
		if !required {
			return err
		}
		keyOnly = true
	}
	doc, err := s.Fed.ActorDocument(c.Request().Context(), username, keyOnly)
	if err != nil {
		return err
	}
	return s.writeAS2(c, 200, doc)
}
