package federation

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"fedpress/models"
)

// Recognising our own objects in incoming references.

// permalinkPath matches /2012/11/slug/ (the slash optional: peers trim it).
var permalinkPath = regexp.MustCompile(`^/(\d{4})/(\d{2})/([^/]+)/?$`)

// localPath returns the path of a URL on our host, or "".
func (s *Service) localPath(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Host, s.cfg.URLs.Host()) {
		return ""
	}
	return u.Path
}

// localID reads the numeric id of /prefix/{id}.
func localID(path, prefix string) (uint, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(rest, "/"), 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint(n), true
}

// localUsernameOf returns the local actor (blog actor or author) an actor
// URL names, or "".
func (s *Service) localUsernameOf(ctx context.Context, uri string, st *models.Settings) (string, error) {
	name, ok := strings.CutPrefix(s.localPath(uri), "/users/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", nil
	}
	if strings.EqualFold(name, blogUsername(st)) {
		return blogUsername(st), nil
	}
	a, err := s.store.AuthorByUsername(ctx, name)
	if models.ErrIsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return a.Username, nil
}

// articleOf returns the visible article an id or permalink names, or nil.
// The batch loads each article once: a flood of replies names the same one.
func (s *Service) articleOf(ctx context.Context, run *inboxRun, uri string) (*models.Article, error) {
	p := s.localPath(uri)
	if p == "" {
		return nil, nil
	}
	var (
		key  string
		load func() (*models.Article, error)
	)
	if id, ok := localID(p, "/articles/"); ok {
		key, load = "id "+strconv.FormatUint(uint64(id), 10), func() (*models.Article, error) { return s.store.ArticleByID(ctx, id) }
	} else if m := permalinkPath.FindStringSubmatch(p); m != nil {
		key, load = "slug "+m[3], func() (*models.Article, error) { return s.store.ArticleBySlug(ctx, m[3]) }
	} else {
		return nil, nil
	}
	a, err := run.batch.article(key, load)
	if err != nil || a == nil || !a.IsVisible(s.now()) {
		return nil, err
	}
	return a, nil
}

// replyTarget finds where a reply to uri belongs: an article of ours, a
// comment of ours (/comments/{id}), or a remote comment we stored.
func (s *Service) replyTarget(ctx context.Context, run *inboxRun, uri string) (articleID uint, parentID *uint, ok bool, err error) {
	if uri == "" {
		return 0, nil, false, nil
	}
	if p := s.localPath(uri); p != "" {
		if id, isComment := localID(p, "/comments/"); isComment {
			in, err := s.store.InteractionByID(ctx, id)
			if models.ErrIsNotFound(err) {
				return 0, nil, false, nil
			}
			if err != nil {
				return 0, nil, false, err
			}
			if in.Kind != models.KindComment {
				return 0, nil, false, nil
			}
			return in.ArticleID, &in.ID, true, nil
		}
		a, err := s.articleOf(ctx, run, uri)
		if err != nil || a == nil {
			return 0, nil, false, err
		}
		return a.ID, nil, true, nil
	}
	in, err := s.store.InteractionByObjectURI(ctx, uri)
	if models.ErrIsNotFound(err) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	if in.Kind != models.KindComment {
		return 0, nil, false, nil
	}
	return in.ArticleID, &in.ID, true, nil
}
