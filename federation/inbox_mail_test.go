package federation

import (
	"testing"

	"fedpress/models"
)

// TestInboxReplyQueuesMail: a reply arriving through the inbox queues the
// author's notification, held or published as moderation decides.
func TestInboxReplyQueuesMail(t *testing.T) {
	e := newIBEnv(t, nil)
	e.author.Email = "ann@example.com"
	if err := e.store.SaveAuthor(e.ctx, e.author); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, tc := range []struct{ mode, kind string }{{"open", models.MailNewReply}, {"all", models.MailCommentHeld}} {
		t.Run(tc.mode, func(t *testing.T) {
			e.settings(func(st *models.Settings) { st.FediModeration = tc.mode })
			a := e.remote.actor("mail" + tc.mode)
			note := a.note("/notes/mail/"+tc.mode, e.articleURL(), "<p>hello</p>")
			a.mustSend(a.create(note))
			e.process()
			in := e.interaction(idOf(note))
			jobs, err := e.store.MailJobs(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			want++
			if len(jobs) != want {
				t.Fatalf("%d mail jobs, want %d", len(jobs), want)
			}
			j := jobs[len(jobs)-1]
			if j.Kind != tc.kind || j.AuthorID != e.author.ID || j.InteractionID == nil || *j.InteractionID != in.ID {
				t.Fatalf("job %+v for reply %d", j, in.ID)
			}
		})
	}
}
