package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"fedpress/web"
)

// profileUpdate saves the author's profile, avatar, header and, when the
// new password fields are filled, password.
func (s *Server) profileUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	r := c.Request()
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := profileForm{Name: v("name"), Email: v("email"), Bio: strings.ReplaceAll(r.PostFormValue("bio"), "\r\n", "\n"),
		AlsoKnownAs: r.PostFormValue("also_known_as"),
		NotifyHeld:  r.PostFormValue("notify_held") != "", NotifyReplies: r.PostFormValue("notify_replies") != ""}
	for i := range profileFieldRows {
		f.Fields = append(f.Fields, fieldRow{
			Name: clip(r.PostFormValue("field_name_"+strconv.Itoa(i)), 100), Value: clip(r.PostFormValue("field_value_"+strconv.Itoa(i)), 500),
		})
	}
	// A copy: the session's author must stay as loaded if saving fails.
	a := *currentUser(c)
	var problems []string
	if f.Name == "" {
		problems = append(problems, "Enter your name as readers will see it.")
	} else if utf8.RuneCountInString(f.Name) > 200 {
		problems = append(problems, "Names can have at most 200 characters.")
	}
	if f.Email != "" {
		if addr, err := mail.ParseAddress(f.Email); err != nil || addr.Address != f.Email || len(f.Email) > 200 {
			problems = append(problems, "The e-mail address is not valid.")
		}
	}
	if utf8.RuneCountInString(f.Bio) > 10000 {
		problems = append(problems, "The bio can have at most 10,000 characters.")
	}
	aka, bad := alsoKnownAs(f.AlsoKnownAs)
	if len(bad) > 0 {
		problems = append(problems, fmt.Sprintf("“Also known as” takes https:// account addresses, one per line; %q is not one.", bad[0]))
	}

	newPW := r.PostFormValue("new_password")
	passwordChanged := false
	if newPW != "" || r.PostFormValue("new_password2") != "" {
		if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(r.PostFormValue("current_password"))) != nil {
			problems = append(problems, "Your current password is wrong; the password was not changed.")
		} else if p := passwordProblem(newPW, r.PostFormValue("new_password2")); p != "" {
			problems = append(problems, p)
		} else {
			hash, err := bcrypt.GenerateFromPassword([]byte(newPW), bcrypt.DefaultCost)
			if err != nil {
				return fmt.Errorf("hash new password: %w", err)
			}
			a.PasswordHash, passwordChanged = string(hash), true
		}
	}
	if len(problems) > 0 {
		return s.renderProfile(c, http.StatusUnprocessableEntity, f, problems)
	}

	for _, im := range []struct {
		field, label string
		path         *string
	}{{"avatar", "Avatar", &a.AvatarPath}, {"header", "Header", &a.HeaderPath}} {
		p, ue, err := s.formImage(c, im.field, im.label+" of "+f.Name, *im.path, a.ID)
		if ue != nil {
			return s.renderProfile(c, ue.status, f, []string{im.label + ": " + ue.msg})
		}
		if err != nil {
			return err
		}
		*im.path = p
	}

	bioHTML, err := web.RenderMarkdown(f.Bio)
	if err != nil {
		return err
	}
	var fields []fieldRow
	for _, fr := range f.Fields {
		if fr.Name = strings.TrimSpace(fr.Name); fr.Name != "" || strings.TrimSpace(fr.Value) != "" {
			fr.Value = strings.TrimSpace(fr.Value)
			fields = append(fields, fr)
		}
	}
	fieldsJSON := ""
	if len(fields) > 0 {
		b, err := json.Marshal(fields)
		if err != nil {
			return fmt.Errorf("encode profile fields: %w", err)
		}
		fieldsJSON = string(b)
	}
	// Followers hear of changes to what their servers show of the actor.
	public := a.Name != f.Name || a.BioHTML != bioHTML || a.AlsoKnownAs != aka || a.Fields != fieldsJSON ||
		a.AvatarPath != currentUser(c).AvatarPath || a.HeaderPath != currentUser(c).HeaderPath
	a.Name, a.Email, a.Bio, a.BioHTML, a.AlsoKnownAs, a.Fields = f.Name, f.Email, f.Bio, bioHTML, aka, fieldsJSON
	a.MuteHeldMail, a.MuteReplyMail = !f.NotifyHeld, !f.NotifyReplies
	if err := s.Store.SaveAuthor(ctx, &a); err != nil {
		return err
	}
	msg := "profile"
	if passwordChanged {
		// Whoever else holds a session may be the reason for the change.
		if err := s.Store.DeleteOtherSessions(ctx, a.ID, currentSession(c).TokenHash); err != nil {
			return err
		}
		msg = "password"
		s.Log.Info("password changed", "username", a.Username)
	}
	if public {
		if err := s.Fed.ProfileUpdated(ctx, a.Username); err != nil {
			s.Log.Error("federate profile", "username", a.Username, "err", err)
		}
	}
	return redirectSeeOther(c, withMsg("/admin/profile/", msg))
}

// formImage applies an image field of an admin form: a new upload (checked
// and stored as any upload) replaces current, the "remove_<field>" box
// clears it, neither keeps it. ue is a refusal to show to the author.
func (s *Server) formImage(c echo.Context, field, alt, current string, authorID uint) (path string, ue *uploadError, err error) {
	r := c.Request()
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File[field]; len(fhs) > 0 {
			m, err := s.storeUpload(r.Context(), fhs[0], alt, "", authorID)
			if errors.As(err, &ue) {
				return current, ue, nil
			}
			if err != nil {
				return current, nil, err
			}
			return m.Path, nil, nil
		}
	}
	if r.PostFormValue("remove_"+field) != "" {
		return "", nil, nil
	}
	return current, nil, nil
}
