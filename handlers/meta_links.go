package handlers

import "fedpress/models"

// mediaSize is the stored size of the upload an absolute image URL points
// at, if it is one of media; 0, 0 otherwise.
func (s *Server) mediaSize(media []models.Media, imgURL string) (width, height int) {
	for _, m := range media {
		if m.Path != "" && s.absURL(mediaURL(m.Path)) == imgURL {
			return m.Width, m.Height
		}
	}
	return 0, 0
}

// fieldURLs are the http(s) links among an author's profile fields: the
// author's other profiles, for rel="me".
func fieldURLs(raw string) []string {
	var out []string
	for _, f := range profileFields(raw) {
		if f.URL != "" {
			out = append(out, f.URL)
		}
	}
	return out
}
