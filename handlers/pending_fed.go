package handlers

import "github.com/labstack/echo/v4"
import "fedpress/models"

// PENDING: each handler below is replaced by its real file (one per noun_verb); this file must be empty and deleted before a submission.
func (s *Server) deliveriesShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) commentReply(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) commentEditReply(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) messagesList(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) followersList(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) followerModerate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) blocksList(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) blockCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) blockDelete(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) webfingerShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) hostMetaShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) hostMetaJSONShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) nodeinfoIndexShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) nodeinfoShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) instanceActorShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) inboxCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) actorShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) outboxShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) followersShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) followingShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) featuredShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) articleObjectShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) articleCollectionShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) commentObjectShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) activityShow(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) authorizeInteraction(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) interactCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) pingbackCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) webmentionCreate(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) articleAS2(c echo.Context, a *models.Article) error { return echo.ErrNotImplemented }
func (s *Server) profileAS2(c echo.Context, username string) error { return echo.ErrNotImplemented }
