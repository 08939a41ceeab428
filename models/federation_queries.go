package models

import (
	"context"
	"fmt"
	"time"
)

// ApprovedCounts returns the approved interactions of many articles by kind
// in one query (outbox and featured pages embed many articles).
func (s *Store) ApprovedCounts(ctx context.Context, articleIDs []uint) (map[uint]map[string]int64, error) {
	out := map[uint]map[string]int64{}
	if len(articleIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ArticleID uint
		Kind      string
		N         int64
	}
	err := s.q(ctx).Model(&Interaction{}).Select("article_id, kind, COUNT(*) AS n").
		Where("article_id IN ? AND status = ?", articleIDs, StatusApproved).
		Group("article_id, kind").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("interaction counts: %w", err)
	}
	for _, r := range rows {
		if out[r.ArticleID] == nil {
			out[r.ArticleID] = map[string]int64{}
		}
		out[r.ArticleID][r.Kind] = r.N
	}
	return out, nil
}

// CountActiveAuthors counts authors with a visible article published since
// a time (NodeInfo activeMonth / activeHalfyear).
func (s *Store) CountActiveAuthors(ctx context.Context, now, since time.Time) (int64, error) {
	var n int64
	err := visible(s.q(ctx).Model(&Article{}), now).Where("articles.published_at >= ?", since).
		Distinct("articles.author_id").Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count active authors: %w", err)
	}
	return n, nil
}
