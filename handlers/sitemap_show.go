package handlers

import (
	"encoding/xml"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"
)

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapShow is /sitemap.xml: the home page, every visible article, every
// static page (as WordPress lists them) and every month archive.
func (s *Server) sitemapShow(c echo.Context) error {
	ctx := c.Request().Context()
	now := s.Now()
	arts, err := s.Store.ListSitemap(ctx, now)
	if err != nil {
		return err
	}
	months, err := s.Store.MonthArchive(ctx, now)
	if err != nil {
		return err
	}
	set := sitemapURLSet{}
	home := sitemapURL{Loc: s.Cfg.URLs.Abs("/")}
	if len(arts) > 0 {
		home.LastMod = maxTime(*arts[0].PublishedAt, arts[0].UpdatedAt).Format(time.RFC3339)
	}
	set.URLs = append(set.URLs, home)
	for i := range arts {
		a := &arts[i]
		set.URLs = append(set.URLs, sitemapURL{
			Loc: s.Cfg.URLs.Abs(a.Permalink()), LastMod: maxTime(*a.PublishedAt, a.UpdatedAt).Format(time.RFC3339),
		})
	}
	pages, err := s.Store.ListVisiblePages(ctx, now)
	if err != nil {
		return err
	}
	for i := range pages {
		a := &pages[i]
		set.URLs = append(set.URLs, sitemapURL{
			Loc: s.Cfg.URLs.Abs(a.Permalink()), LastMod: maxTime(*a.PublishedAt, a.UpdatedAt).Format(time.RFC3339),
		})
	}
	for _, m := range months {
		set.URLs = append(set.URLs, sitemapURL{Loc: s.Cfg.URLs.Abs(fmt.Sprintf("/%04d/%02d/", m.Year, m.Month))})
	}
	return s.writeXML(c, "application/xml; charset=utf-8", set)
}
