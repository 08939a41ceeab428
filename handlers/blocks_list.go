package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// blockRow is one block on the blocks page.
type blockRow struct {
	ID      uint
	Kind    string
	Value   string
	Created time.Time
}

// blocksData is what admin/blocks renders.
type blocksData struct {
	Actors, Domains, Keywords []blockRow
	Notice                    string
	Error                     string
	Kind, Value               string // the form, kept on errors
}

// blockNotices are the fixed messages behind ?done=: the query string never
// puts its own text on the page.
var blockNotices = map[string]string{
	"added":   "Block added. What it covers is hidden and no longer arrives.",
	"exists":  "That block already existed.",
	"removed": "Block removed. What no other block covers is shown again.",
}

// blocksList shows actor, domain and keyword blocks with the form to add one.
func (s *Server) blocksList(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage blocks"); !ok {
		return err
	}
	return s.renderBlocks(c, http.StatusOK, blocksData{Notice: blockNotices[c.QueryParam("done")], Kind: models.BlockDomain})
}

func (s *Server) renderBlocks(c echo.Context, status int, d blocksData) error {
	blocks, err := s.Store.ListBlocks(c.Request().Context())
	if err != nil {
		return err
	}
	for _, b := range blocks {
		row := blockRow{ID: b.ID, Kind: b.Kind, Value: b.Value, Created: b.CreatedAt}
		switch b.Kind {
		case models.BlockActor:
			d.Actors = append(d.Actors, row)
		case models.BlockDomain:
			d.Domains = append(d.Domains, row)
		case models.BlockKeyword:
			d.Keywords = append(d.Keywords, row)
		}
	}
	return s.renderAdmin(c, status, "blocks", "Blocks", "blocks", d)
}
