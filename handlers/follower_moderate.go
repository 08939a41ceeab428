package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// followerModerate accepts a follow request or rejects one (a pending
// request, or an accepted follower being removed): the follower's server is
// told with Accept or Reject, and a rejected follow is deleted.
func (s *Server) followerModerate(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage followers"); !ok {
		return err
	}
	ctx := c.Request().Context()
	action := c.Request().PostFormValue("status")
	if action != "accept" && action != "reject" {
		return s.adminErrorBack(c, http.StatusBadRequest, "Unknown action.", "/admin/followers/")
	}
	id, err := idParam(c)
	var f *models.Follower
	if err == nil {
		f, err = s.Store.FollowerByID(ctx, id)
	}
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This follower does not exist.", "/admin/followers/")
	}
	if err != nil {
		return err
	}
	ra := f.RemoteActor
	by := ""
	if u := currentUser(c); u != nil {
		by = u.Username
	}
	if action == "accept" {
		if f.Status == models.FollowAccepted {
			return redirectSeeOther(c, "/admin/followers/?done=accepted")
		}
		if err := s.Fed.AcceptFollow(ctx, f.LocalUsername, f.FollowActivityID, ra.URI, ra.Inbox, false); err != nil {
			return err
		}
		if err := s.Store.SetFollowerStatus(ctx, f.ID, models.FollowAccepted); err != nil {
			return err
		}
		s.Log.Info("follower accepted", "follower", ra.URI, "of", f.LocalUsername, "by", by)
		return redirectSeeOther(c, "/admin/followers/?done=accepted")
	}
	if err := s.Fed.AcceptFollow(ctx, f.LocalUsername, f.FollowActivityID, ra.URI, ra.Inbox, true); err != nil {
		return err
	}
	if err := s.Store.RemoveFollower(ctx, f.ID); err != nil {
		return err
	}
	s.Log.Info("follower rejected", "follower", ra.URI, "of", f.LocalUsername, "was", f.Status, "by", by)
	done := "rejected"
	if f.Status == models.FollowAccepted {
		done = "removed"
	}
	return redirectSeeOther(c, "/admin/followers/?done="+done)
}
