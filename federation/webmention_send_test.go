package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"fedpress/models"
)

func TestParseLinkHeader(t *testing.T) {
	tests := []struct {
		in   string
		want []linkHeaderEntry
	}{
		{`<https://a.test/wm>; rel="webmention"`, []linkHeaderEntry{{"https://a.test/wm", []string{"webmention"}}}},
		{`</wm>; rel=webmention`, []linkHeaderEntry{{"/wm", []string{"webmention"}}}},
		{`<https://a.test/x,y>; rel="other webmention"; title="a, b", <z>;rel=next`,
			[]linkHeaderEntry{{"https://a.test/x,y", []string{"other", "webmention"}}, {"z", []string{"next"}}}},
		{`<a>; title="x\"y"; rel="me"`, []linkHeaderEntry{{"a", []string{"me"}}}},
		{`garbage, <b>; rel=c`, []linkHeaderEntry{{"b", []string{"c"}}}},
		{`<unterminated; rel=x`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		if got := parseLinkHeader(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseLinkHeader(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// mentionReceiver stands in for other websites: pages at /page/<case>,
// endpoints that record what they receive.
type mentionReceiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  []received
	gets []string // GET requests, by path
}

type received struct {
	Path           string // path?query the endpoint was called at
	Protocol       string // "webmention" or "pingback"
	Source, Target string
}

func newMentionReceiver(t *testing.T) *mentionReceiver {
	m := &mentionReceiver{t: t}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mentionReceiver) serve(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	html := func(body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><head><title>T</title>"+body)
	}
	if r.Method == http.MethodGet {
		m.mu.Lock()
		m.gets = append(m.gets, r.URL.Path)
		m.mu.Unlock()
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /wm/ok", "POST /page/empty-href", "POST /wm/query":
		r.ParseForm()
		m.record(r, "webmention", r.PostForm.Get("source"), r.PostForm.Get("target"))
		w.WriteHeader(http.StatusAccepted)
	case "POST /wm/bad":
		http.Error(w, "target not found", http.StatusBadRequest)
	case "POST /wm/broken":
		http.Error(w, "oops", http.StatusInternalServerError)
	case "POST /xmlrpc", "POST /xmlrpc/fault17", "POST /xmlrpc/fault48":
		source, target, err := ParsePingbackCall(r.Body)
		if err != nil {
			m.t.Errorf("bad pingback call: %v", err)
		}
		m.record(r, "pingback", source, target)
		w.Header().Set("Content-Type", "text/xml")
		switch r.URL.Path {
		case "/xmlrpc/fault17":
			w.Write(XMLRPCFaultResponse(FaultNoLink, "no link"))
		case "/xmlrpc/fault48":
			w.Write(XMLRPCFaultResponse(FaultAlreadyRegistered, "already"))
		default:
			w.Write(XMLRPCResponse("thanks"))
		}
	case "GET /page/link-abs", "HEAD /page/link-abs":
		w.Header().Set("Link", "<"+base+"/wm/ok>; rel=\"webmention\"")
		html(`<link rel="webmention" href="/wm/wrong">`)
	case "GET /page/link-rel", "HEAD /page/link-rel":
		w.Header().Add("Link", `<https://elsewhere.test/feed>; rel="alternate"`)
		w.Header().Add("Link", `</wm/ok>; rel="somethingelse webmention"`)
		html("")
	case "GET /page/html-link":
		html(`<link rel="stylesheet" href="/s.css"><link rel="WebMention" href="/wm/ok"></head><body><a rel="webmention" href="/wm/wrong">x</a>`)
	case "GET /page/html-a":
		html(`</head><body><!-- <link rel="webmention" href="/wm/wrong"> --><a href="/x">no</a><a rel="nofollow webmention" href="../wm/ok">x</a><link rel="webmention" href="/wm/wrong">`)
	case "GET /page/empty-href":
		html(`<link rel="webmention" href="">`)
	case "GET /page/query":
		html(`<link rel="webmention" href="/wm/query?query=yes">`)
	case "GET /page/redirect", "HEAD /page/redirect":
		http.Redirect(w, r, "/page/moved/final", http.StatusFound)
	case "GET /page/moved/final", "HEAD /page/moved/final":
		w.Header().Set("Link", "<../../wm/ok>; rel=webmention")
		html("")
	case "GET /page/x-pingback", "HEAD /page/x-pingback":
		w.Header().Set("X-Pingback", base+"/xmlrpc")
		html("")
	case "GET /page/pingback-link":
		html(`<link rel="pingback" href="` + base + `/xmlrpc">`)
	case "GET /page/pingback-fault17":
		html(`<link rel="pingback" href="/xmlrpc/fault17">`)
	case "GET /page/pingback-fault48":
		html(`<link rel="pingback" href="/xmlrpc/fault48">`)
	case "GET /page/none", "HEAD /page/none":
		html(`<link rel="alternate" href="/feed">`)
	case "GET /page/wm-bad":
		html(`<link rel="webmention" href="/wm/bad">`)
	case "GET /page/wm-broken":
		html(`<link rel="webmention" href="/wm/broken">`)
	case "HEAD /page/image", "GET /page/image":
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG..."))
	case "GET /page/flaky", "HEAD /page/flaky":
		http.Error(w, "down", http.StatusServiceUnavailable)
	case "HEAD /page/html-link", "HEAD /page/html-a", "HEAD /page/empty-href", "HEAD /page/query",
		"HEAD /page/pingback-link", "HEAD /page/pingback-fault17", "HEAD /page/pingback-fault48",
		"HEAD /page/wm-bad", "HEAD /page/wm-broken":
		w.Header().Set("Content-Type", "text/html")
	default:
		http.NotFound(w, r)
	}
}

func (m *mentionReceiver) record(r *http.Request, protocol, source, target string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := r.URL.Path
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	m.got = append(m.got, received{Path: p, Protocol: protocol, Source: source, Target: target})
}

func (m *mentionReceiver) take() ([]received, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	got, gets := m.got, m.gets
	m.got, m.gets = nil, nil
	return got, gets
}

func TestSendMentionJobDiscovery(t *testing.T) {
	e := newMentionEnv(t)
	m := newMentionReceiver(t)
	source := e.permalink()
	tests := []struct {
		page     string
		endpoint string // path the mention must arrive at; "" for none
		protocol string
		err      string // "rejected", "retry" or ""
		noGET    bool
	}{
		{page: "link-abs", endpoint: "/wm/ok", protocol: "webmention", noGET: true},
		{page: "link-rel", endpoint: "/wm/ok", protocol: "webmention", noGET: true},
		{page: "html-link", endpoint: "/wm/ok", protocol: "webmention"},
		{page: "html-a", endpoint: "/wm/ok", protocol: "webmention"},
		{page: "empty-href", endpoint: "/page/empty-href", protocol: "webmention"},
		{page: "query", endpoint: "/wm/query?query=yes", protocol: "webmention"},
		{page: "redirect", endpoint: "/wm/ok", protocol: "webmention"},
		{page: "x-pingback", endpoint: "/xmlrpc", protocol: "pingback"},
		{page: "pingback-link", endpoint: "/xmlrpc", protocol: "pingback"},
		{page: "pingback-fault48", endpoint: "/xmlrpc/fault48", protocol: "pingback"},
		{page: "pingback-fault17", endpoint: "/xmlrpc/fault17", protocol: "pingback", err: "rejected"},
		{page: "none"},
		{page: "missing"},
		{page: "image", noGET: true},
		{page: "flaky", err: "retry"},
		{page: "wm-bad", err: "rejected"},
		{page: "wm-broken", err: "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			target := m.srv.URL + "/page/" + tt.page
			body, _ := json.Marshal(mentionJobBody{Source: source, Target: target})
			err := e.svc.SendMentionJob(e.ctx, &models.Delivery{ID: 1, Inbox: target, Kind: MentionDeliveryKind, Body: string(body)})
			var rej *MentionRejectedError
			switch tt.err {
			case "":
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			case "rejected":
				if !errors.As(err, &rej) {
					t.Fatalf("err = %v, want MentionRejectedError", err)
				}
			case "retry":
				if err == nil || errors.As(err, &rej) {
					t.Fatalf("err = %v, want a retryable error", err)
				}
			}
			got, gets := m.take()
			if tt.endpoint == "" {
				for _, g := range got {
					if g.Path != "/wm/broken" && g.Path != "/wm/bad" {
						t.Fatalf("sent %+v", got)
					}
				}
			} else {
				want := []received{{Path: tt.endpoint, Protocol: tt.protocol, Source: source, Target: target}}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("received %+v, want %+v", got, want)
				}
			}
			if tt.noGET && len(gets) > 0 {
				t.Errorf("page was downloaded (%v): the HEAD answer was enough", gets)
			}
		})
	}
}

func TestSendMentionJobMalformed(t *testing.T) {
	e := newMentionEnv(t)
	err := e.svc.SendMentionJob(e.ctx, &models.Delivery{ID: 3, Inbox: "https://a.test/", Body: "{"})
	var rej *MentionRejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("err = %v", err)
	}
}

func TestSendMentionJobRefusesPrivateTargets(t *testing.T) {
	e := newMentionEnv(t)
	e.svc.cfg.AllowPrivatePeers = false
	m := newMentionReceiver(t)
	target := m.srv.URL + "/page/link-abs"
	body, _ := json.Marshal(mentionJobBody{Source: e.permalink(), Target: target})
	if err := e.svc.SendMentionJob(e.ctx, &models.Delivery{ID: 1, Inbox: target, Body: string(body)}); err != nil {
		t.Fatalf("err = %v, want nil (nothing to do)", err)
	}
	if got, gets := m.take(); len(got)+len(gets) > 0 {
		t.Fatalf("loopback reached: %v %v", got, gets)
	}
}

func TestSendMentions(t *testing.T) {
	e := newMentionEnv(t)
	ext := "https://other.example"
	html := fmt.Sprintf(`<p><a href="%[1]s/a">a</a> <a href="%[1]s/a#frag">again</a> <a href="/2024/01/mine/">self</a>
		<a href="http://blog.test/articles/1">self too</a> <a href="mailto:x@y.test">mail</a> <a href="%[1]s/b?x=1">b</a>
		<a href="javascript:alert(1)">js</a> <img src="%[1]s/img.png"></p>`, ext)
	a := e.saveArticle(html, models.StatusPublished)
	if err := e.svc.SendMentions(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	rows := e.mentionDeliveries(a.ID)
	if want := []string{ext + "/a", ext + "/b?x=1"}; !reflect.DeepEqual(targetsOf(rows), want) {
		t.Fatalf("targets %v, want %v", targetsOf(rows), want)
	}
	for _, d := range rows {
		var job mentionJobBody
		if err := json.Unmarshal([]byte(d.Body), &job); err != nil || job.Source != "http://blog.test"+a.Permalink() || job.Target != d.Inbox {
			t.Errorf("job body %s (%v)", d.Body, err)
		}
		if d.Kind != MentionDeliveryKind || d.Status != models.DeliveryPending || d.Host != "other.example" {
			t.Errorf("row %+v", d)
		}
	}
	// Saving again without a change queues nothing new.
	if err := e.svc.SendMentions(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mentionDeliveries(a.ID)); n != 2 {
		t.Fatalf("%d rows after a second call", n)
	}

	// Once delivered, a link removed by an edit is notified again.
	e.deliverAll()
	time.Sleep(2 * time.Millisecond) // a new UpdatedAt
	a = e.updateArticle(a, fmt.Sprintf(`<p><a href="%s/c">c</a></p>`, ext))
	if err := e.svc.SendMentions(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	var pending []string
	for _, d := range e.mentionDeliveries(a.ID) {
		if d.Status == models.DeliveryPending {
			pending = append(pending, d.Inbox)
		}
	}
	sort.Strings(pending)
	if want := []string{ext + "/a", ext + "/b?x=1", ext + "/c"}; !reflect.DeepEqual(pending, want) {
		t.Fatalf("after edit: pending %v, want %v", pending, want)
	}

	// A deleted article tells every page it was sent to.
	e.deliverAll()
	if err := e.store.DeleteArticle(e.ctx, a.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SendMentions(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	pending = nil
	for _, d := range e.mentionDeliveries(a.ID) {
		if d.Status == models.DeliveryPending {
			pending = append(pending, d.Inbox)
		}
	}
	sort.Strings(pending)
	if want := []string{ext + "/a", ext + "/b?x=1", ext + "/c"}; !reflect.DeepEqual(pending, want) {
		t.Fatalf("after deletion: pending %v, want %v", pending, want)
	}

	// Drafts and imported articles send nothing.
	draft := e.saveArticle(html, models.StatusDraft)
	if err := e.svc.SendMentions(e.ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mentionDeliveries(draft.ID)); n != 0 {
		t.Fatalf("draft queued %d", n)
	}
}

func (e *mentionEnv) saveArticle(html, status string) *models.Article {
	e.t.Helper()
	pub := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	a, err := e.store.SaveArticle(e.ctx, 0, models.ArticleInput{
		Title: "Links", Slug: fmt.Sprintf("links-%d", time.Now().UnixNano()), HTML: html, Status: status,
		PublishedAt: &pub, AuthorID: e.article.AuthorID,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *mentionEnv) updateArticle(a *models.Article, html string) *models.Article {
	e.t.Helper()
	a, err := e.store.SaveArticle(e.ctx, a.ID, models.ArticleInput{
		Title: a.Title, Slug: a.Slug, HTML: html, Status: a.Status, PublishedAt: a.PublishedAt, AuthorID: a.AuthorID,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *mentionEnv) mentionDeliveries(articleID uint) []models.Delivery {
	e.t.Helper()
	all, err := e.store.ListDeliveries(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []models.Delivery
	for _, d := range all {
		if d.Kind == MentionDeliveryKind && d.ArticleID != nil && *d.ArticleID == articleID {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Inbox < out[j].Inbox || (out[i].Inbox == out[j].Inbox && out[i].ID < out[j].ID)
	})
	return out
}

// deliverAll marks every due row delivered, as the delivery worker would.
func (e *mentionEnv) deliverAll() {
	e.t.Helper()
	now := time.Now().UTC()
	rows, err := e.store.ClaimDeliveries(e.ctx, models.DeliveryClaim{Holder: "test", Now: now, StaleBefore: now.Add(-time.Minute), Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]uint, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	if _, err := e.store.MarkDelivered(e.ctx, "test", ids, http.StatusAccepted, now); err != nil {
		e.t.Fatal(err)
	}
}

func targetsOf(ds []models.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Inbox)
	}
	return out
}

// TestPublishingNotifiesLinkedPages: publishing an article queues one
// mention job per external link, and the delivery worker sends each by
// Webmention or Pingback (not as an ActivityPub POST); a refusal is final.
func TestPublishingNotifiesLinkedPages(t *testing.T) {
	e := newOutEnv(t, nil)
	m := newMentionReceiver(t)
	author := e.author("ann")
	pub := time.Now().UTC().Add(-time.Minute)
	html := fmt.Sprintf(`<p><a href="%[1]s/page/link-abs">wm</a> <a href="%[1]s/page/x-pingback">pb</a>
		<a href="%[1]s/page/wm-bad">bad</a> <a href="%[1]s/page/none">none</a></p>`, m.srv.URL)
	a, err := e.store.SaveArticle(context.Background(), 0, models.ArticleInput{Title: "Links", Slug: "links", HTML: html,
		Status: models.StatusPublished, PublishedAt: &pub, AuthorID: author.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ArticleSaved(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	stop := startDeliveries(e.svc)
	defer stop()
	final := func() bool {
		for _, d := range e.rows() {
			if d.Kind == MentionDeliveryKind && d.Status == models.DeliveryPending {
				return false
			}
		}
		return true
	}
	eventually(t, 10*time.Second, "mention jobs finished", final)
	stop()
	got, _ := m.take()
	sort.Slice(got, func(i, j int) bool { return got[i].Protocol > got[j].Protocol })
	source := testBase + a.Permalink()
	want := []received{
		{Path: "/wm/ok", Protocol: "webmention", Source: source, Target: m.srv.URL + "/page/link-abs"},
		{Path: "/xmlrpc", Protocol: "pingback", Source: source, Target: m.srv.URL + "/page/x-pingback"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("received %+v\nwant %+v", got, want)
	}
	status := map[string]string{}
	for _, d := range e.rows() {
		if d.Kind == MentionDeliveryKind {
			status[d.Inbox[len(m.srv.URL):]] = d.Status
		}
	}
	wantStatus := map[string]string{"/page/link-abs": models.DeliveryDelivered, "/page/x-pingback": models.DeliveryDelivered,
		"/page/wm-bad": models.DeliveryFailed, "/page/none": models.DeliveryDelivered}
	if !reflect.DeepEqual(status, wantStatus) {
		t.Errorf("row status %v, want %v", status, wantStatus)
	}

	// With the setting off, an edit queues no mention job.
	st, err := e.store.GetSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.SkipLinkNotifications = true
	if err := e.store.SaveSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	before := len(e.rows())
	time.Sleep(2 * time.Millisecond) // a new UpdatedAt: a new batch if it were sent
	if _, err := e.store.SaveArticle(context.Background(), a.ID, models.ArticleInput{Title: "Links", Slug: "links", HTML: html + "<p>more</p>",
		Status: models.StatusPublished, PublishedAt: &pub, AuthorID: author.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SendMentions(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rows()); n != before {
		t.Errorf("setting off: %d new rows", n-before)
	}
}
