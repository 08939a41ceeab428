package handlers

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// reLanguage is a BCP 47 tag as people type them: "en", "fr-CA", "zh-Hant".
var reLanguage = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)

// settingsUpdate saves the blog's settings.
func (s *Server) settingsUpdate(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "change the blog's settings"); !ok {
		return err
	}
	ctx := c.Request().Context()
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	r := c.Request()
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := settingsForm{
		Title: v("title"), Tagline: v("tagline"), Language: v("language"),
		BlogUsername: strings.ToLower(v("blog_username")), BlogName: v("blog_name"), BlogSummary: v("blog_summary"),
		PostsPerPage: v("posts_per_page"), HoldVisitorComments: v("hold_visitor_comments") != "",
		NotifyLinks:    v("notify_links") != "",
		FediModeration: v("fedi_moderation"), ObjectType: legacyObjectType(v("object_type")),
		ManuallyApprovesFollowers: v("manually_approves_followers") != "", Authorized: v("authorized_fetch") != "",
		TimeZone: v("time_zone"), DateFormat: v("date_format"),
	}
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	var problems []string
	tooLong := func(val, label string, n int) {
		if utf8.RuneCountInString(val) > n {
			problems = append(problems, fmt.Sprintf("%s can have at most %d characters.", label, n))
		}
	}
	if f.Title == "" {
		problems = append(problems, "Give the blog a title.")
	}
	tooLong(f.Title, "The title", 200)
	tooLong(f.Tagline, "The tagline", 300)
	tooLong(f.BlogName, "The display name", 200)
	tooLong(f.BlogSummary, "The description", 5000)
	if !reLanguage.MatchString(f.Language) || len(f.Language) > 16 {
		problems = append(problems, "The language is a code such as en, de or pt-BR.")
	}
	perPage, err := strconv.Atoi(f.PostsPerPage)
	if err != nil || perPage < 1 || perPage > 100 {
		problems = append(problems, "Posts per page is a number from 1 to 100.")
	}
	if !oneOf(f.FediModeration, moderationOptions()) {
		problems = append(problems, "Choose how fediverse replies are moderated.")
	}
	f.TimeZone = canonicalZone(f.TimeZone)
	if f.DateFormat == "" { // a form from before the setting existed
		f.DateFormat = web.DateFormatByKey(st.DateFormat).Key
	}
	if _, ok := web.LoadTimeZone(f.TimeZone); !ok || len(f.TimeZone) > 64 {
		problems = append(problems, fmt.Sprintf("“%s” is not a time zone this server knows. Type a name such as Europe/Paris, America/New_York or Asia/Tokyo (the field suggests some), or UTC.", f.TimeZone))
	}
	if web.DateFormatByKey(f.DateFormat).Key != f.DateFormat {
		problems = append(problems, "Choose how dates are shown.")
	}
	if !oneOf(f.ObjectType, objectTypeOptions()) {
		problems = append(problems, "Choose how articles appear in the fediverse.")
	}
	if f.BlogUsername != st.BlogUsername {
		if p := usernameProblem(f.BlogUsername, ""); p != "" {
			problems = append(problems, "Blog account: "+p)
		} else if taken, err := s.usernameTaken(ctx, f.BlogUsername); err != nil {
			return err
		} else if taken {
			problems = append(problems, fmt.Sprintf("Blog account: %q is an author's username.", f.BlogUsername))
		} else if n, err := s.Store.AdminFollowerCount(ctx, st.BlogUsername); err != nil {
			return err
		} else if n > 0 {
			problems = append(problems, fmt.Sprintf("Blog account: @%s has %s, who would be lost with a new username.", st.BlogUsername, web.Plural(n, "follower", "followers")))
		}
	}
	if len(problems) > 0 {
		return s.renderSettings(c, http.StatusUnprocessableEntity, f, problems)
	}

	before := *st
	for _, im := range []struct {
		field, label, alt string
		path              *string
	}{
		{"blog_avatar", "Blog avatar", "Avatar of the blog", &st.BlogAvatarPath},
		{"blog_header", "Blog header", "Header of the blog", &st.BlogHeaderPath},
		{"site_icon", "Site icon", "Site icon", &st.SiteIconPath},
	} {
		p, ue, err := s.formImage(c, im.field, im.alt, *im.path, currentUser(c).ID)
		if ue != nil {
			return s.renderSettings(c, ue.status, f, []string{im.label + ": " + ue.msg})
		}
		if err != nil {
			return err
		}
		*im.path = p
	}

	profileChanged := st.BlogName != f.BlogName || st.BlogSummary != f.BlogSummary ||
		st.ManuallyApprovesFollowers != f.ManuallyApprovesFollowers ||
		federation.BlogAvatar(st) != federation.BlogAvatar(&before) || st.BlogHeaderPath != before.BlogHeaderPath
	st.Title, st.Tagline, st.Language = f.Title, f.Tagline, f.Language
	st.BlogUsername, st.BlogName, st.BlogSummary = f.BlogUsername, f.BlogName, f.BlogSummary
	st.PostsPerPage, st.HoldVisitorComments = perPage, f.HoldVisitorComments
	st.SkipLinkNotifications = !f.NotifyLinks
	st.FediModeration, st.ObjectType = f.FediModeration, f.ObjectType
	st.ManuallyApprovesFollowers, st.AuthorizedFetch = f.ManuallyApprovesFollowers, f.Authorized
	st.TimeZone, st.DateFormat = f.TimeZone, f.DateFormat
	if st.TimeZone == "UTC" {
		st.TimeZone = ""
	}
	if err := s.Store.SaveSettings(ctx, st); err != nil {
		return err
	}
	s.Log.Info("settings saved", "by", currentUser(c).Username)
	if profileChanged {
		if err := s.Fed.ProfileUpdated(ctx, st.BlogUsername); err != nil {
			s.Log.Error("federate blog profile", "username", st.BlogUsername, "err", err)
		}
	}
	return redirectSeeOther(c, withMsg("/admin/settings/", "settings"))
}

func oneOf(v string, opts []option) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// canonicalZone spells a suggested time zone as the zone database does,
// whatever the case typed ("europe/paris" is Europe/Paris).
func canonicalZone(name string) string {
	for _, z := range timeZoneSuggestions() {
		if strings.EqualFold(z, name) {
			return z
		}
	}
	return name
}

// legacyObjectType reads "Article", what a settings form from before the
// Lead setting posts, as that setting's successor (models.ArticleObjectType
// reads a stored "Article" the same way); other values are validated.
func legacyObjectType(v string) string {
	if strings.EqualFold(strings.TrimSpace(v), "Article") {
		return models.ObjectTypeLead
	}
	return v
}
