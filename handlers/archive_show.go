package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// archiveYearShow lists a year's articles: /2012/.
func (s *Server) archiveYearShow(c echo.Context) error {
	year, err := parseYear(c.Param("year"))
	if err != nil {
		// Not a year: a static page /slug/, or WordPress's /slug/
		// permalink shape, shares this route.
		return s.pageOrLegacyShow(c)
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	heading := fmt.Sprintf("Yearly Archives: %d", year)
	return s.archiveShow(c, from, from.AddDate(1, 0, 0), strconv.Itoa(year), heading)
}

// archiveMonthShow lists a month's articles: /2012/11/.
func (s *Server) archiveMonthShow(c echo.Context) error {
	year, err := parseYear(c.Param("year"))
	if err != nil {
		return err
	}
	month, err := parseMonth(c.Param("month"))
	if err != nil {
		return err
	}
	from := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	name := fmt.Sprintf("%s %d", from.Month(), year)
	return s.archiveShow(c, from, from.AddDate(0, 1, 0), name, "Monthly Archives: "+name)
}

func (s *Server) archiveShow(c echo.Context, from, to time.Time, name, heading string) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	path := c.Request().URL.Path
	v, err := s.loadList(c, models.ArticleQuery{Page: page, From: from, To: to}, path)
	if err != nil {
		return err
	}
	if v.Total == 0 {
		return notFoundf("archive %s: no articles", path)
	}
	v.Heading = heading
	return s.renderList(c, "site/archive", name, "Articles published in "+name+".", v)
}

// parseYear accepts exactly four digits, as permalinks are written.
func parseYear(v string) (int, error) {
	if len(v) != 4 {
		return 0, notFoundf("archive year %q", v)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, notFoundf("archive year %q", v)
	}
	return n, nil
}

// parseMonth accepts 01 to 12.
func parseMonth(v string) (int, error) {
	if len(v) != 2 {
		return 0, notFoundf("archive month %q", v)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 12 {
		return 0, notFoundf("archive month %q", v)
	}
	return n, nil
}
