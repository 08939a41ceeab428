package handlers

import "github.com/labstack/echo/v4"

// PENDING: each handler below is replaced by its real file (one per noun_verb); this file must be empty and deleted before a submission.
func (s *Server) homeShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) archiveYearShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) archiveMonthShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) articleShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) legacyRedirect(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) commentCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) tagShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) profileShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) feedRSS(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) feedAtom(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) feedComments(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) sitemapShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) robotsShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) mediaShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) staticShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) errorHandler(err error, c echo.Context) { c.Echo().DefaultHTTPErrorHandler(err, c) }
