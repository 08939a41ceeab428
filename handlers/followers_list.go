package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// followerRow is one remote follower of a local actor.
type followerRow struct {
	ID        uint
	Name      string
	Handle    string
	URL       string
	Avatar    string
	ActorURI  string
	Following string // local username followed
	Pending   bool
	Since     time.Time
}

type followersData struct {
	Pending, Accepted []followerRow
	Notice            string
}

var followerNotices = map[string]string{
	"accepted": "Follower accepted.",
	"rejected": "Follow request rejected.",
	"removed":  "Follower removed.",
}

// followersList shows follow requests waiting for approval and the
// accepted followers of the blog actor and the authors.
func (s *Server) followersList(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage followers"); !ok {
		return err
	}
	list, err := s.Store.ListFollowersAdmin(c.Request().Context(), "", 1000)
	if err != nil {
		return err
	}
	d := followersData{Notice: followerNotices[c.QueryParam("done")]}
	for _, f := range list {
		ra := f.RemoteActor
		row := followerRow{ID: f.ID, Name: ra.Name, Handle: ra.Handle(), ActorURI: ra.URI, Following: f.LocalUsername,
			Pending: f.Status == models.FollowPending, Since: f.CreatedAt}
		if row.Name == "" {
			row.Name = ra.Username
		}
		if u, ok := web.HTTPURL(ra.URL); ok {
			row.URL = u
		} else if u, ok := web.HTTPURL(ra.URI); ok {
			row.URL = u
		}
		if u, ok := web.HTTPURL(ra.AvatarURL); ok {
			row.Avatar = u
		}
		if row.Pending {
			d.Pending = append(d.Pending, row)
		} else {
			d.Accepted = append(d.Accepted, row)
		}
	}
	return s.renderAdmin(c, http.StatusOK, "followers", "Followers", "followers", d)
}
