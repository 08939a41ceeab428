package interop

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// repliesWalk: the peer backfills the conversation the way Mastodon does
// (FetchRepliesService, and FetchAllRepliesWorker for every status it
// gets): from the article's `replies`, its first page (embedded or
// fetched), the page's orderedItems (items for an unordered Collection),
// the `next` pages, then each item, fetched in turn, and its own
// `replies`. Every GET goes through Fedify's signed document loader. The
// walk must find every comment the article page shows, and nothing else.
func (s *scenario) repliesWalk(t *testing.T) {
	want := s.pageCommentIDs(t)
	if len(want) == 0 {
		t.Fatal("the article page shows no comments to look for")
	}
	type fetched struct {
		OK         bool            `json:"ok"`
		Error      string          `json:"error"`
		JSON       json.RawMessage `json:"json"`
		ParseError string          `json:"parseError"`
	}
	get := func(u string) map[string]any {
		var res fetched
		if err := s.peer.call("fetch", map[string]any{"url": u}, &res); err != nil {
			t.Errorf("peer: fetch %s: %v", u, err)
			return nil
		}
		if !res.OK {
			t.Errorf("signed GET %s by the peer failed: %s", u, res.Error)
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(res.JSON, &m); err != nil {
			t.Errorf("GET %s: %v", u, err)
			return nil
		}
		if res.ParseError != "" && strings.HasPrefix(u, s.fp.base) {
			t.Errorf("Fedify could not parse %s: %s\n%s", u, res.ParseError, res.JSON)
		}
		return m
	}
	resolve := func(v any) map[string]any {
		switch x := v.(type) {
		case map[string]any:
			return x
		case string:
			return get(x)
		}
		return nil
	}
	// items reads a collection as Mastodon's collection_items does.
	items := func(collection any) []string {
		c := resolve(collection)
		if c == nil {
			return nil
		}
		head, _ := c["id"].(string)
		total, hasTotal := c["totalItems"].(float64)
		if c["first"] != nil {
			c = resolve(c["first"])
		}
		var out []string
		for pages := 0; c != nil && pages < 50; pages++ {
			key := "orderedItems"
			if c["type"] == "Collection" || c["type"] == "CollectionPage" {
				key = "items"
			}
			list, _ := c[key].([]any)
			for _, it := range list {
				switch v := it.(type) {
				case string:
					out = append(out, v)
				case map[string]any:
					id, _ := v["id"].(string)
					out = append(out, id)
				}
			}
			next, _ := c["next"].(string)
			if next == "" {
				break
			}
			c = resolve(next)
		}
		if hasTotal && strings.HasPrefix(head, s.fp.base) && int(total) != len(out) {
			t.Errorf("%s: totalItems %d, its pages list %d", head, int(total), len(out))
		}
		return out
	}

	seen := map[string]bool{s.articleID: true}
	var found []string
	queue := []string{s.articleID}
	for len(queue) > 0 {
		uri := queue[0]
		queue = queue[1:]
		obj := get(uri)
		if obj == nil {
			continue
		}
		for _, it := range items(obj["replies"]) {
			if !seen[it] {
				seen[it] = true
				found = append(found, it)
				queue = append(queue, it)
			}
		}
	}
	slices.Sort(found)
	if !slices.Equal(found, want) {
		t.Errorf("walking the replies found %d objects, the page shows %d comments\nfound: %v\npage:  %v", len(found), len(want), found, want)
	}
	t.Logf("the walk found the %d comments of %s", len(found), s.permalink)
}

// pageCommentIDs is the ActivityPub id of every comment on the article
// page (id="comment-N"): GET /comments/N answers ours, and redirects to
// the origin of the others.
func (s *scenario) pageCommentIDs(t *testing.T) []string {
	body, err := s.fp.get(s.permalink)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var ids []string
	for _, c := range byClass(doc, "comment") {
		n, ok := strings.CutPrefix(attr(c, "id"), "comment-")
		if !ok {
			continue
		}
		req, _ := http.NewRequest(http.MethodGet, s.fp.base+"/comments/"+n, nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var obj struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&obj)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusFound:
			ids = append(ids, resp.Header.Get("Location"))
		case http.StatusOK:
			ids = append(ids, obj.ID)
		default:
			t.Errorf("GET /comments/%s: %s", n, resp.Status)
		}
	}
	slices.Sort(ids)
	return ids
}

// answerRetracted: the author's answer (author-answer step) goes with the
// deleted article: its Delete reaches the peer, verified, and its id
// answers 410.
func (s *scenario) answerRetracted(t *testing.T, since int) {
	if !s.passed["author-answer"] {
		return
	}
	var answer string
	for _, r := range s.peer.matching(func(r inboxRecord) bool {
		return r.Type == "Create" && r.ObjectType == "Note" && strings.HasPrefix(r.ObjectID, s.fp.base+"/comments/")
	}) {
		answer = r.ObjectID
	}
	if answer == "" {
		t.Error("no Create of the author's answer in the peer's inbox")
		return
	}
	rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
		return r.Seq > since && r.Type == "Delete" && r.ObjectID == answer
	})
	if rec == nil {
		t.Errorf("no Delete of the author's answer %s reached the peer within %s\n%s", answer, waitLong, detail)
		return
	}
	if !rec.Verified || rec.Status/100 != 2 {
		t.Errorf("Delete of the answer: Fedify answered %d %q, verified=%v", rec.Status, rec.Response, rec.Verified)
	}
	req, _ := http.NewRequest(http.MethodGet, answer, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("GET %s after the article's deletion: %s, want 410 Gone", answer, resp.Status)
	}
}
