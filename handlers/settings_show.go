package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// settingsForm is the settings page's fields as typed.
type settingsForm struct {
	Title, Tagline, Language              string
	BlogUsername, BlogName, BlogSummary   string
	PostsPerPage                          string
	HoldVisitorComments                   bool
	NotifyLinks                           bool
	FediModeration, ObjectType            string
	ManuallyApprovesFollowers, Authorized bool
}

// option is one <option> or radio choice.
type option struct {
	Value, Label, Help string
}

type settingsData struct {
	Form        settingsForm
	Errors      []string
	Moderation  []option
	ObjectTypes []option
	Host        string
	Followers   int64 // of the blog actor: changing its username would lose them
	// The blog's images as they are now (not as typed: files do not survive
	// a refused form).
	AvatarURL, HeaderURL, IconURL string
	AvatarIsIcon                  bool // the blog shows the site icon as its avatar
	MaxSize                       string
}

func settingsFormOf(st *models.Settings) settingsForm {
	return settingsForm{
		Title: st.Title, Tagline: st.Tagline, Language: st.Language,
		BlogUsername: st.BlogUsername, BlogName: st.BlogName, BlogSummary: st.BlogSummary,
		PostsPerPage: strconv.Itoa(st.PostsPerPage), HoldVisitorComments: st.HoldVisitorComments,
		NotifyLinks:    !st.SkipLinkNotifications,
		FediModeration: st.FediModeration, ObjectType: models.ArticleObjectType(st.ObjectType),
		ManuallyApprovesFollowers: st.ManuallyApprovesFollowers, Authorized: st.AuthorizedFetch,
	}
}

func moderationOptions() []option {
	return []option{
		{"open", "Open", "Replies from the fediverse appear at once."},
		{"first", "First reply held", "An account's first reply waits for approval; later ones appear at once."},
		{"all", "All held", "Every reply from the fediverse waits for approval."},
	}
}

func objectTypeOptions() []option {
	return []option{
		{models.ObjectTypeLead, "Title, lead and link", "Followers see the title, the summary (or the first words), the images and a link to read the article on the blog."},
		{models.ObjectTypeNote, "Full text", "Followers see the title, the whole text, the images and a link back, like a long post."},
	}
}

// settingsShow shows the blog's settings.
func (s *Server) settingsShow(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "change the blog's settings"); !ok {
		return err
	}
	st, err := s.Store.GetSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, settingsFormOf(st), nil)
}

func (s *Server) renderSettings(c echo.Context, status int, f settingsForm, problems []string) error {
	st, err := s.Store.GetSettings(c.Request().Context())
	if err != nil {
		return err
	}
	n, err := s.Store.AdminFollowerCount(c.Request().Context(), st.BlogUsername)
	if err != nil {
		return err
	}
	d := settingsData{Form: f, Errors: problems, Moderation: moderationOptions(), ObjectTypes: objectTypeOptions(),
		Host: s.Cfg.URLs.Host(), Followers: n, MaxSize: sizeLabel(s.Cfg.MaxUploadBytes),
		AvatarURL: mediaURL(st.BlogAvatarPath), HeaderURL: mediaURL(st.BlogHeaderPath), IconURL: mediaURL(st.SiteIconPath),
		AvatarIsIcon: st.BlogAvatarPath == "" && st.SiteIconPath != ""}
	return s.renderAdmin(c, status, "settings", "Settings", "settings", d)
}
