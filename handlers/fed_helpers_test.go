package handlers

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"fedpress/models"
)

// Helpers of the ActivityPub endpoint tests.

const as2Accept = "application/activity+json"

// as2 fetches a path as an ActivityPub client.
func (ts *testServer) as2(path string) *httptest.ResponseRecorder {
	return ts.get(path, "Accept", as2Accept)
}

// jsonBody decodes a JSON response.
func jsonBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not JSON (%d %s): %v\n%s", rec.Code, rec.Header().Get("Content-Type"), err, rec.Body)
	}
	return m
}

// field reads a nested JSON value.
func field(m any, path ...string) any {
	for _, k := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// remoteFollower makes a remote actor an accepted follower of local.
func (ts *testServer) remoteFollower(local, uri, inbox, shared string) *models.RemoteActor {
	ts.t.Helper()
	ctx := context.Background()
	ra := &models.RemoteActor{URI: uri, Inbox: inbox, SharedInbox: shared}
	if err := ts.Store.UpsertRemoteActor(ctx, ra); err != nil {
		ts.t.Fatal(err)
	}
	if _, _, err := ts.Store.UpsertFollower(ctx, local, ra.ID, uri+"#follow", models.FollowAccepted); err != nil {
		ts.t.Fatal(err)
	}
	return ra
}

// setAuthorizedFetch turns authorized fetch on or off.
func (ts *testServer) setAuthorizedFetch(on bool) {
	ts.t.Helper()
	ctx := context.Background()
	st, err := ts.Store.GetSettings(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	st.AuthorizedFetch = on
	if err := ts.Store.SaveSettings(ctx, st); err != nil {
		ts.t.Fatal(err)
	}
}

func fedID(id uint) string { return strconv.FormatUint(uint64(id), 10) }
