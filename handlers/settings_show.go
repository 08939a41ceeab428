package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
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
	TimeZone, DateFormat                  string
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
	DateFormats                   []option
	TimeZones                     []string // suggestions; any IANA name is accepted
}

func settingsFormOf(st *models.Settings) settingsForm {
	return settingsForm{
		Title: st.Title, Tagline: st.Tagline, Language: st.Language,
		BlogUsername: st.BlogUsername, BlogName: st.BlogName, BlogSummary: st.BlogSummary,
		PostsPerPage: strconv.Itoa(st.PostsPerPage), HoldVisitorComments: st.HoldVisitorComments,
		NotifyLinks:    !st.SkipLinkNotifications,
		FediModeration: st.FediModeration, ObjectType: models.ArticleObjectType(st.ObjectType),
		ManuallyApprovesFollowers: st.ManuallyApprovesFollowers, Authorized: st.AuthorizedFetch,
		TimeZone: st.TimeZone, DateFormat: web.DateFormatByKey(st.DateFormat).Key,
	}
}

// dateFormatOptions shows each date style by example, in the chosen zone.
func dateFormatOptions(now time.Time) []option {
	var out []option
	for _, f := range web.DateFormats() {
		out = append(out, option{Value: f.Key, Label: f.Date(now), Help: f.DateTime(now)})
	}
	return out
}

// timeZoneSuggestions are offered as the time zone field is typed.
func timeZoneSuggestions() []string {
	return []string{
		"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
		"Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
		"Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow",
		"America/New_York", "America/Toronto", "America/Chicago", "America/Denver", "America/Phoenix",
		"America/Los_Angeles", "America/Anchorage", "America/Mexico_City", "America/Bogota", "America/Lima",
		"America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "Pacific/Honolulu",
		"Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Jerusalem", "Asia/Dubai",
		"Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore",
		"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Manila", "Asia/Seoul", "Asia/Tokyo",
		"Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
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
	loc, ok := web.LoadTimeZone(st.TimeZone)
	if !ok {
		loc = time.UTC
	}
	d := settingsData{Form: f, Errors: problems, Moderation: moderationOptions(), ObjectTypes: objectTypeOptions(),
		Host: s.Cfg.URLs.Host(), Followers: n, MaxSize: sizeLabel(s.Cfg.MaxUploadBytes),
		AvatarURL: mediaURL(st.BlogAvatarPath), HeaderURL: mediaURL(st.BlogHeaderPath), IconURL: mediaURL(st.SiteIconPath),
		AvatarIsIcon: st.BlogAvatarPath == "" && st.SiteIconPath != "", DateFormats: dateFormatOptions(s.Now().In(loc)), TimeZones: timeZoneSuggestions()}
	return s.renderAdmin(c, status, "settings", "Settings", "settings", d)
}
