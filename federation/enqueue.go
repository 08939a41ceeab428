package federation

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"fedpress/models"
)

// Outgoing is one activity to deliver to a set of inboxes.
type Outgoing struct {
	ActivityID    string
	Kind          string // activity type, e.g. "Create"
	Body          []byte // the JSON to POST, signed at send time
	SignAs        string // local username whose key signs ("" = the blog actor)
	Inboxes       []string
	ArticleID     *uint
	InteractionID *uint
}

// Enqueue stores one durable delivery row per distinct inbox, and the body
// once for all of them; the delivery workers pick them up. Callers that
// hold a transaction pass its store.
func (s *Service) Enqueue(ctx context.Context, store *models.Store, o Outgoing) error {
	if store == nil {
		store = s.store
	}
	now := s.now()
	// One string for every row: the store hashes and writes it once.
	body := string(o.Body)
	seen := map[string]bool{}
	rows := make([]models.Delivery, 0, len(o.Inboxes))
	for _, inbox := range o.Inboxes {
		if inbox == "" || seen[inbox] {
			continue
		}
		seen[inbox] = true
		u, err := url.Parse(inbox)
		if err != nil || u.Host == "" {
			s.log.Warn("skip delivery to a bad inbox URL", "inbox", inbox, "activity", o.ActivityID)
			continue
		}
		rows = append(rows, models.Delivery{
			ActivityID: o.ActivityID, Inbox: inbox, Host: strings.ToLower(u.Host), Kind: o.Kind,
			ArticleID: o.ArticleID, InteractionID: o.InteractionID, SignAs: o.SignAs, Body: body,
			Status: models.DeliveryPending, NextAttemptAt: now,
		})
	}
	if _, err := store.EnqueueDeliveries(ctx, rows); err != nil {
		return fmt.Errorf("enqueue %s %s: %w", o.Kind, o.ActivityID, err)
	}
	s.wake()
	return nil
}
