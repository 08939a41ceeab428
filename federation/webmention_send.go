package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"fedpress/models"
)

// Sending: every external link of a published article is told about it by
// Webmention (https://www.w3.org/TR/webmention/) or, when the linked page
// has no webmention endpoint, by Pingback. One durable Delivery row per
// link; the delivery worker hands rows of MentionDeliveryKind to
// SendMentionJob.

// MentionDeliveryKind is the Delivery.Kind of an outgoing mention job.
const MentionDeliveryKind = "webmention"

const (
	maxMentionLinks     = 100
	mentionSendTimeout  = 20 * time.Second
	mentionDiscoverMax  = 1 << 20
	mentionDiscoverHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
)

// mentionJobBody is the Delivery.Body of a mention job.
type mentionJobBody struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// MentionRejectedError is a mention that retrying cannot deliver (the
// receiver answered 4xx or a pingback fault, or the job is malformed): the
// delivery worker should mark the row failed without further attempts.
type MentionRejectedError struct {
	Target string
	Err    error
}

func (e *MentionRejectedError) Error() string {
	return fmt.Sprintf("mention of %s rejected: %v", e.Target, e.Err)
}

func (e *MentionRejectedError) Unwrap() error { return e.Err }

// mentionStatusError turns a non-2xx answer of an endpoint into an error:
// client errors (but timeouts and rate limits) are final.
func mentionStatusError(endpoint string, status int) error {
	err := &FetchError{URL: endpoint, Status: status}
	if status >= 300 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return &MentionRejectedError{Target: endpoint, Err: err}
	}
	return err
}

// SendMentions queues a webmention (or pingback) job for every external
// link of a visible article, and for every link it was sent to before (so
// a page that lost its link learns of it). For a deleted article only the
// links sent to before are notified: they will find it gone. Drafts,
// scheduled and imported articles send nothing. Call it after every save
// and after deletion; a call without changes to the article queues nothing
// new.
func (s *Service) SendMentions(ctx context.Context, articleID uint) error {
	a, err := s.store.ArticleByID(ctx, articleID)
	if err != nil {
		return fmt.Errorf("send mentions of article %d: %w", articleID, err)
	}
	if a.Imported {
		return nil
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return fmt.Errorf("send mentions of article %d: %w", articleID, err)
	}
	if st.SkipLinkNotifications {
		return nil
	}
	visible := a.IsVisible(s.now())
	deleted := a.DeletedAt != nil || a.Status == models.StatusDeleted
	if !visible && !deleted {
		return nil
	}
	source := s.cfg.URLs.Abs(a.Permalink())
	var links []string
	if visible {
		links = s.outgoingLinks(a.HTML, source)
	}
	sent, err := s.store.MentionTargetsSent(ctx, a.ID, MentionDeliveryKind)
	if err != nil {
		return fmt.Errorf("send mentions of article %d: %w", articleID, err)
	}
	seen := map[string]bool{}
	for _, l := range links {
		seen[l] = true
	}
	for _, l := range sent {
		if !seen[l] {
			seen[l] = true
			links = append(links, l)
		}
	}
	if len(links) == 0 {
		return nil
	}
	// One batch per version of the article: re-saving without a change
	// is a no-op (unique activity id and target), an edit notifies again.
	version := a.UpdatedAt
	if a.DeletedAt != nil {
		version = *a.DeletedAt
	}
	batch := fmt.Sprintf("webmention:%d:%d", a.ID, version.UnixNano())
	now := s.now()
	rows := make([]models.Delivery, 0, len(links))
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		body, err := json.Marshal(mentionJobBody{Source: source, Target: l})
		if err != nil {
			return fmt.Errorf("send mentions of article %d: %w", articleID, err)
		}
		rows = append(rows, models.Delivery{
			ActivityID: batch, Inbox: l, Host: strings.ToLower(u.Host), Kind: MentionDeliveryKind,
			ArticleID: &a.ID, Body: string(body), Status: models.DeliveryPending, NextAttemptAt: now,
		})
	}
	n, err := s.store.EnqueueDeliveries(ctx, rows)
	if err != nil {
		return fmt.Errorf("send mentions of article %d: %w", articleID, err)
	}
	if n > 0 {
		s.log.Info("mentions queued", "article", a.ID, "links", n)
		s.wake()
	}
	return nil
}

// outgoingLinks are the distinct absolute http(s) links of an article's
// HTML, without fragments, leaving out links to this blog (no self-pings).
func (s *Service) outgoingLinks(body, pageURL string) []string {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	htmlWalk(doc, func(n *html.Node) bool {
		if n.DataAtom != atom.A {
			return true
		}
		href, ok := htmlAttr(n, "href")
		if !ok {
			return true
		}
		u, err := base.Parse(strings.TrimSpace(href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || s.isOurHost(u) {
			return true
		}
		u.Fragment, u.RawFragment = "", ""
		l := u.String()
		if !seen[l] && len(l) <= 2000 {
			seen[l] = true
			out = append(out, l)
		}
		return len(out) < maxMentionLinks
	})
	return out
}

// SendMentionJob delivers one queued mention: it discovers the target's
// webmention endpoint (else its pingback server) and notifies it. A target
// with neither, or that is gone, is done: nil. Retryable failures are
// plain errors; final ones are *MentionRejectedError.
func (s *Service) SendMentionJob(ctx context.Context, d *models.Delivery) error {
	var job mentionJobBody
	if err := json.Unmarshal([]byte(d.Body), &job); err != nil || job.Source == "" || job.Target == "" {
		return &MentionRejectedError{Target: d.Inbox, Err: fmt.Errorf("malformed job %d: %v", d.ID, err)}
	}
	p := FetchPolicy{AllowPrivate: s.cfg.AllowPrivatePeers, Timeout: mentionSendTimeout,
		MaxBytes: mentionDiscoverMax, UserAgent: s.mentionUserAgent()}
	client := NewHTTPClient(p)
	defer client.CloseIdleConnections()
	log := s.log.With("source", job.Source, "target", job.Target)

	wm, pb, err := discoverMentionEndpoints(ctx, client, p, job.Target)
	if err != nil {
		var fe *FetchError
		var re *RefusedError
		var dns *net.DNSError
		switch {
		case errors.As(err, &re):
			log.Info("mention not sent: target refused by address policy", "err", err)
			return nil
		case errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 && fe.Status != http.StatusTooManyRequests && fe.Status != http.StatusRequestTimeout:
			log.Info("mention not sent: target unavailable", "status", fe.Status)
			return nil
		case errors.As(err, &dns) && dns.IsNotFound:
			// A linked site whose name no longer exists: nothing to tell.
			log.Info("mention not sent: no such host", "err", err)
			return nil
		}
		return fmt.Errorf("discover mention endpoint of %s: %w", job.Target, err)
	}
	// No redirects on POST: Go would turn them into GETs.
	post := *client
	post.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch {
	case wm != "":
		if err := s.postWebmention(ctx, &post, wm, job.Source, job.Target); err != nil {
			return err
		}
		log.Info("webmention sent", "endpoint", wm)
	case pb != "":
		if err := s.callPingback(ctx, &post, pb, job.Source, job.Target); err != nil {
			return err
		}
		log.Info("pingback sent", "endpoint", pb)
	default:
		log.Debug("target has no webmention or pingback endpoint")
	}
	return nil
}

func (s *Service) postWebmention(ctx context.Context, client *http.Client, endpoint, source, target string) error {
	form := url.Values{"source": {source}, "target": {target}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return &MentionRejectedError{Target: target, Err: fmt.Errorf("webmention endpoint %s: %w", endpoint, err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", s.mentionUserAgent())
	resp, err := client.Do(req)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return &MentionRejectedError{Target: target, Err: err}
		}
		return fmt.Errorf("webmention %s: %w", endpoint, err)
	}
	defer discardBody(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return mentionStatusError(endpoint, resp.StatusCode)
	}
	return nil
}

// discoverMentionEndpoints finds where to send a mention of target, per
// Webmention §3.1.2: the HTTP Link header first, then the first <link> or
// <a> with rel="webmention" in the HTML, resolved against the final URL
// after redirects (an empty href is the page itself). Failing that, the
// Pingback server: X-Pingback, then <link rel="pingback">. A HEAD request
// comes first so that images and PDFs are never downloaded.
func discoverMentionEndpoints(ctx context.Context, client *http.Client, p FetchPolicy, target string) (webmention, pingback string, err error) {
	if err := CheckURL(target, p.AllowPrivate); err != nil {
		return "", "", err
	}
	headCtx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(headCtx, http.MethodHead, target, nil)
	if err != nil {
		return "", "", &RefusedError{Target: target, Reason: err.Error()}
	}
	req.Header.Set("Accept", mentionDiscoverHTML)
	req.Header.Set("User-Agent", p.UserAgent)
	if resp, herr := client.Do(req); herr == nil {
		discardBody(resp)
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			final := resp.Request.URL
			if wm := linkHeaderRel(resp.Header.Values("Link"), final, "webmention"); wm != "" {
				return wm, "", nil
			}
			if ct := resp.Header.Get("Content-Type"); ct != "" && !isHTMLType(ct) {
				return "", headerURL(resp.Header.Get("X-Pingback"), final), nil
			}
		}
	} else {
		var re *RefusedError
		if errors.As(herr, &re) {
			return "", "", herr
		}
		// Some servers mishandle HEAD: the GET below decides.
	}

	f := &Fetcher{Client: client, Policy: p}
	resp, body, err := f.Get(ctx, target, mentionDiscoverHTML)
	if err != nil {
		return "", "", err
	}
	final := resp.Request.URL
	if wm := linkHeaderRel(resp.Header.Values("Link"), final, "webmention"); wm != "" {
		return wm, "", nil
	}
	ct := resp.Header.Get("Content-Type")
	var doc *html.Node
	if ct == "" || isHTMLType(ct) {
		if r, err := charset.NewReader(bytes.NewReader(body), ct); err == nil {
			doc, _ = html.Parse(r)
		}
	}
	if doc != nil {
		if wm, ok := htmlRelLink(doc, final, "webmention", atom.Link, atom.A); ok {
			return wm, "", nil
		}
	}
	if pb := headerURL(resp.Header.Get("X-Pingback"), final); pb != "" {
		return "", pb, nil
	}
	if doc != nil {
		if pb, ok := htmlRelLink(doc, final, "pingback", atom.Link); ok {
			return "", pb, nil
		}
	}
	return "", "", nil
}

func isHTMLType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// headerURL resolves a header's URL against the page; "" when absent.
func headerURL(v string, base *url.URL) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	u, err := base.Parse(v)
	if err != nil {
		return ""
	}
	return u.String()
}

// htmlRelLink finds the first element of the given kinds, in document
// order, whose rel has the token and that has an href (possibly empty:
// the page itself).
func htmlRelLink(doc *html.Node, base *url.URL, rel string, kinds ...atom.Atom) (string, bool) {
	var out string
	found := false
	htmlWalk(doc, func(n *html.Node) bool {
		match := false
		for _, k := range kinds {
			match = match || n.DataAtom == k
		}
		if !match {
			return true
		}
		rels, _ := htmlAttr(n, "rel")
		if !hasRel(strings.Fields(rels), rel) {
			return true
		}
		href, ok := htmlAttr(n, "href")
		if !ok {
			return true
		}
		u, err := base.Parse(strings.TrimSpace(href))
		if err != nil {
			return true
		}
		out, found = u.String(), true
		return false
	})
	return out, found
}

// hasRel reports a rel token, case-insensitively; "webmention" also
// matches the legacy "http://webmention.org/".
func hasRel(rels []string, want string) bool {
	for _, r := range rels {
		if strings.EqualFold(r, want) || (want == "webmention" && r == "http://webmention.org/") {
			return true
		}
	}
	return false
}

// linkHeaderRel returns the first Link header target (RFC 8288) with the
// rel, resolved against base; "" when none.
func linkHeaderRel(values []string, base *url.URL, rel string) string {
	for _, v := range values {
		for _, l := range parseLinkHeader(v) {
			if hasRel(l.rels, rel) {
				if u, err := base.Parse(l.target); err == nil {
					return u.String()
				}
			}
		}
	}
	return ""
}

type linkHeaderEntry struct {
	target string
	rels   []string
}

// parseLinkHeader splits one Link header value: `<url>; rel="a b"; x=y,
// <url2>; rel=c`. Commas inside <> or quotes do not separate links.
func parseLinkHeader(v string) []linkHeaderEntry {
	var out []linkHeaderEntry
	i := 0
	skip := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
	}
	for i < len(v) {
		skip()
		if i < len(v) && v[i] == ',' {
			i++
			continue
		}
		if i >= len(v) || v[i] != '<' {
			// Garbage: move to the next link.
			j := strings.IndexByte(v[i:], ',')
			if j < 0 {
				break
			}
			i += j + 1
			continue
		}
		end := strings.IndexByte(v[i:], '>')
		if end < 0 {
			break
		}
		e := linkHeaderEntry{target: strings.TrimSpace(v[i+1 : i+end])}
		i += end + 1
		for {
			skip()
			if i >= len(v) || v[i] == ',' {
				break
			}
			if v[i] != ';' {
				i++
				continue
			}
			i++
			skip()
			start := i
			for i < len(v) && v[i] != '=' && v[i] != ';' && v[i] != ',' {
				i++
			}
			name := strings.ToLower(strings.TrimSpace(v[start:i]))
			val := ""
			if i < len(v) && v[i] == '=' {
				i++
				skip()
				if i < len(v) && v[i] == '"' {
					i++
					var b strings.Builder
					for i < len(v) && v[i] != '"' {
						if v[i] == '\\' && i+1 < len(v) {
							i++
						}
						b.WriteByte(v[i])
						i++
					}
					i++ // closing quote
					val = b.String()
				} else {
					start := i
					for i < len(v) && v[i] != ';' && v[i] != ',' {
						i++
					}
					val = strings.TrimSpace(v[start:i])
				}
			}
			if name == "rel" && e.rels == nil {
				e.rels = strings.Fields(val)
			}
		}
		out = append(out, e)
	}
	return out
}
