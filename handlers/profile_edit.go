package handlers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// profileFieldRows is how many name/value rows the profile form offers
// (Mastodon shows four).
const profileFieldRows = 4

// fieldRow is one profile field as typed.
type fieldRow struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// profileForm is the profile page's fields as typed.
type profileForm struct {
	Name, Email, Bio, AlsoKnownAs string
	Fields                        []fieldRow
	// E-mail to the author about comments on their articles.
	NotifyHeld, NotifyReplies bool
}

type profileData struct {
	Form      profileForm
	Errors    []string
	Username  string
	Handle    string
	AvatarURL string
	HeaderURL string
	MaxSize   string
	ActorURL  string
	// MailEnabled: the server can send mail (else the settings wait).
	MailEnabled bool
}

func profileFormOf(a *models.Author) profileForm {
	f := profileForm{Name: a.Name, Email: a.Email, Bio: a.Bio, AlsoKnownAs: a.AlsoKnownAs,
		NotifyHeld: !a.MuteHeldMail, NotifyReplies: !a.MuteReplyMail}
	if a.Fields != "" {
		if err := json.Unmarshal([]byte(a.Fields), &f.Fields); err != nil {
			f.Fields = nil // unreadable: offer empty rows rather than fail the page
		}
	}
	for len(f.Fields) < profileFieldRows {
		f.Fields = append(f.Fields, fieldRow{})
	}
	return f
}

// profileEdit shows the logged-in author's profile and password form.
func (s *Server) profileEdit(c echo.Context) error {
	return s.renderProfile(c, http.StatusOK, profileFormOf(currentUser(c)), nil)
}

func (s *Server) renderProfile(c echo.Context, status int, f profileForm, problems []string) error {
	a := currentUser(c)
	d := profileData{
		Form: f, Errors: problems, Username: a.Username,
		Handle: "@" + a.Username + "@" + s.Cfg.URLs.Host(), MaxSize: sizeLabel(s.Cfg.MaxUploadBytes),
		ActorURL: s.Cfg.URLs.Actor(a.Username), MailEnabled: s.Cfg.MailEnabled,
	}
	d.AvatarURL, d.HeaderURL = mediaURL(a.AvatarPath), mediaURL(a.HeaderPath)
	return s.renderAdmin(c, status, "profile", "Profile", "profile", d)
}

// alsoKnownAs cleans the newline-separated actor URIs.
func alsoKnownAs(raw string) (string, []string) {
	var keep, bad []string
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if u, ok := web.HTTPURL(line); ok && strings.HasPrefix(u, "https://") {
			keep = append(keep, u)
		} else {
			bad = append(bad, line)
		}
	}
	return strings.Join(keep, "\n"), bad
}
