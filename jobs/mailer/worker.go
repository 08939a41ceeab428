package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"fedpress/models"
	"fedpress/web"
)

const (
	claimBatch    = 20
	staleClaim    = 10 * time.Minute // a claim this old belongs to a dead worker
	maxAttempts   = 30               // about a day of retries with the backoff below
	maxBackoff    = time.Hour
	keepMail      = 7 * 24 * time.Hour // queue rows older than this are purged
	purgeInterval = time.Hour
)

// Worker sends the queued mail.
type Worker struct {
	Store   *models.Store
	Sender  *Sender
	BaseURL string // the blog's public URL, for links in the mail
	Holder  string // this process's name in claimed rows
	Log     *slog.Logger
	Poll    time.Duration // how often the queue is read; default 5 s
	Now     func() time.Time
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now().UTC()
}

// Run sends due mail until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	var purged time.Time
	for {
		if now := w.now(); now.Sub(purged) >= purgeInterval {
			if err := w.Store.PurgeMail(ctx, now.Add(-keepMail)); err != nil && ctx.Err() == nil {
				w.Log.Error("mail: purge", "err", err)
			}
			purged = now
		}
		if _, err := w.SendDue(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("mail: send", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SendDue sends every due job once and returns how many went out. A failed
// send is retried later with a growing delay.
func (w *Worker) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for {
		jobs, err := w.Store.ClaimMail(ctx, w.Holder, w.now(), staleClaim, claimBatch)
		if err != nil {
			return sent, err
		}
		if len(jobs) == 0 {
			return sent, nil
		}
		for _, j := range jobs {
			ok, err := w.sendJob(ctx, j)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(jobs) < claimBatch {
			return sent, nil
		}
	}
}

// sendJob sends one claimed job and records the outcome; err is only for
// the database.
func (w *Worker) sendJob(ctx context.Context, j models.MailJob) (bool, error) {
	msg, err := w.compose(ctx, j)
	if errors.Is(err, errNothingToSend) {
		w.Log.Info("mail: nothing to send", "job", j.ID, "kind", j.Kind)
		return false, w.Store.MailSent(ctx, j.ID, w.now())
	}
	if err != nil {
		return false, err
	}
	if err := w.Sender.Send(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		attempts := j.Attempts + 1
		delay := min(time.Minute<<min(attempts-1, 10), maxBackoff)
		giveUp := attempts >= maxAttempts
		w.Log.Warn("mail: send failed", "job", j.ID, "kind", j.Kind, "attempt", attempts, "retry_in", delay, "giving_up", giveUp, "err", err)
		return false, w.Store.MailFailed(ctx, j.ID, err.Error(), w.now().Add(delay), giveUp, w.now())
	}
	w.Log.Info("mail: sent", "job", j.ID, "kind", j.Kind, "to", msg.To)
	return true, w.Store.MailSent(ctx, j.ID, w.now())
}

var errNothingToSend = errors.New("nothing to send")

// compose writes the message of a job. Notifications are written now, from
// the comment as it is; one whose comment or address is gone, or whose
// author has since turned that mail off, is dropped.
func (w *Worker) compose(ctx context.Context, j models.MailJob) (Message, error) {
	if j.Kind == models.MailPasswordReset {
		if j.Body == "" || j.To == "" {
			return Message{}, errNothingToSend
		}
		return Message{To: j.To, Subject: j.Subject, Body: j.Body}, nil
	}
	if j.InteractionID == nil {
		return Message{}, errNothingToSend
	}
	in, err := w.Store.InteractionByID(ctx, *j.InteractionID)
	if errors.Is(err, models.ErrNotFound) {
		return Message{}, errNothingToSend
	}
	if err != nil {
		return Message{}, err
	}
	author, err := w.Store.AuthorByID(ctx, j.AuthorID)
	if errors.Is(err, models.ErrNotFound) {
		return Message{}, errNothingToSend
	}
	if err != nil {
		return Message{}, err
	}
	if author.Email == "" || (j.Kind == models.MailCommentHeld && author.MuteHeldMail) || (j.Kind == models.MailNewReply && author.MuteReplyMail) {
		return Message{}, errNothingToSend
	}
	art, err := w.Store.ArticleByID(ctx, in.ArticleID)
	if errors.Is(err, models.ErrNotFound) {
		return Message{}, errNothingToSend
	}
	if err != nil {
		return Message{}, err
	}
	blog := ""
	st, err := w.Store.GetSettings(ctx)
	switch {
	case err == nil:
		blog = st.Title
	case !errors.Is(err, models.ErrNotFound):
		return Message{}, err
	}
	return notification(j.Kind, blog, w.BaseURL, art, in, author.Email), nil
}

// notification is the text of a comment notification.
func notification(kind, blog, base string, art *models.Article, in *models.Interaction, to string) Message {
	who := in.AuthorName
	if in.RemoteActor != nil {
		who = strings.TrimSpace(in.RemoteActor.Name + " " + in.RemoteActor.Handle())
	}
	if who == "" {
		who = "Someone"
	}
	title := art.Title
	if title == "" {
		title = "(untitled)"
	}
	var b strings.Builder
	var subject string
	switch kind {
	case models.MailCommentHeld:
		subject = fmt.Sprintf("Comment awaiting moderation on “%s”", oneLine(title))
		fmt.Fprintf(&b, "%s left a comment on “%s” that waits for your approval:\n\n", who, title)
	default:
		subject = fmt.Sprintf("New reply from %s on “%s”", oneLine(who), oneLine(title))
		fmt.Fprintf(&b, "%s replied to “%s” from the fediverse:\n\n", who, title)
	}
	if in.Summary != "" {
		fmt.Fprintf(&b, "[Content warning: %s]\n\n", in.Summary)
	}
	text := web.PlainText(in.Content)
	if r := []rune(text); len(r) > 2000 {
		text = string(r[:2000]) + "…"
	}
	b.WriteString(text)
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Article: %s%s\n", base, art.Permalink())
	if in.URL != "" {
		fmt.Fprintf(&b, "Reply: %s\n", in.URL)
	}
	if kind == models.MailCommentHeld {
		fmt.Fprintf(&b, "Approve or remove it: %s/admin/comments/?status=%s\n", base, models.StatusPending)
	} else {
		fmt.Fprintf(&b, "Moderate comments: %s/admin/comments/\n", base)
	}
	fmt.Fprintf(&b, "\nYou get this mail because of your notification settings: %s/admin/profile/\n", base)
	if blog != "" {
		subject = "[" + oneLine(blog) + "] " + subject
	}
	return Message{To: to, Subject: subject, Body: b.String()}
}
