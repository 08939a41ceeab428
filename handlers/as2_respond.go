package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
)

// as2ContentType is how ActivityPub documents are served.
const as2ContentType = federation.AS2ContentType + "; charset=utf-8"

// addVary adds a Vary token once.
func addVary(c echo.Context, token string) {
	h := c.Response().Header()
	for _, v := range h.Values("Vary") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}

// writeAS2 sends an ActivityPub document.
func (s *Server) writeAS2(c echo.Context, status int, doc map[string]any) error {
	body, err := federation.MarshalDoc(doc)
	if err != nil {
		return err
	}
	addVary(c, "Accept")
	return c.Blob(status, as2ContentType, body)
}

// checkFetch enforces authorized fetch on an AS2 GET: with the setting on,
// the request must carry a valid signature. required reports the setting;
// err is the refusal (an *echo.HTTPError) when the signature is missing or
// invalid.
func (s *Server) checkFetch(c echo.Context) (required bool, err error) {
	ctx := c.Request().Context()
	required, err = s.Fed.FetchRequired(ctx)
	if err != nil || !required {
		return required, err
	}
	addVary(c, "Signature")
	if _, verr := s.Fed.VerifyGET(ctx, c.Request()); verr != nil {
		status := http.StatusUnauthorized
		var se *federation.SignatureError
		if errors.As(verr, &se) && se.Status != 0 {
			status = se.Status
		}
		s.Log.Info("refused unsigned or invalid fetch", "path", c.Request().URL.Path, "reason", verr.Error())
		c.Response().Header().Set("WWW-Authenticate", `Signature realm="`+s.Cfg.URLs.Host()+`",headers="(request-target) host date"`)
		return true, echo.NewHTTPError(status, "this server requires signed requests (authorized fetch): "+verr.Error())
	}
	return true, nil
}

// requireSignedFetch is checkFetch for documents with no public form.
func (s *Server) requireSignedFetch(c echo.Context) error {
	_, err := s.checkFetch(c)
	return err
}

// collectionPage reads ?page=N of a paged collection: 0 (no parameter)
// is the collection head; "true" is Mastodon's spelling of the first page.
func collectionPage(c echo.Context) (int, error) {
	v := c.QueryParam("page")
	switch v {
	case "":
		return 0, nil
	case "true":
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000000 {
		return 0, notFoundf("collection page %q", v)
	}
	return n, nil
}
