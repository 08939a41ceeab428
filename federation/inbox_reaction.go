package federation

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"fedpress/models"
)

// inboxLike records a Like of one of our articles, or an emoji reaction:
// EmojiReact (Pleroma, Akkoma), and Like carrying an emoji in content or
// _misskey_reaction (Misskey, Sharkey, which send every reaction as a Like
// so that other servers count it as a favourite). A reaction keeps its
// emoji (a unicode one, or a :shortcode: with the image its Emoji tag
// names); the article shows them grouped next to the likes. An actor may
// react with several emoji, each once.
func (s *Service) inboxLike(ctx context.Context, run *inboxRun) (string, error) {
	a, err := s.articleOf(ctx, run, run.act.objectID())
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	text, img := reactionOf(run.act.raw)
	if text == "" {
		if run.act.Type == "EmojiReact" {
			s.log.Info("inbox: EmojiReact without a usable emoji", "activity", run.act.ID)
			return outcomeIgnored, nil
		}
		return s.storeReaction(ctx, run, models.KindLike, a)
	}
	has, err := s.store.HasReactionWith(ctx, run.actor.ID, a.ID, text)
	if err != nil || has {
		return outcomeIgnored, err
	}
	in := s.reactionRow(run, models.KindReaction, a)
	in.Content = text
	if img != "" {
		in.Emojis = emojisJSON([]emoji{{Name: text, URL: img}})
	}
	created, err := s.store.CreateInteraction(ctx, in)
	return appliedIf(created), err
}

// maxReactionRunes bounds a unicode reaction: enough for the longest emoji
// sequences (families, flags of regions), not for a sentence.
const maxReactionRunes = 16

// reactionOf reads the emoji of a Like or EmojiReact: content, else
// _misskey_reaction. A :shortcode: takes its image from the Emoji tag of
// that name (http(s) icon url only). Anything that is neither a short
// emoji sequence nor a shortcode is no reaction ("").
func reactionOf(m map[string]any) (emoji, img string) {
	text := str(m["content"])
	if text == "" {
		text = str(m["_misskey_reaction"])
	}
	if code, ok := shortcode(text); ok {
		for _, v := range list(m["tag"]) {
			t := asMap(v)
			if typeOf(t) != "Emoji" || strings.Trim(str(t["name"]), ":") != code {
				continue
			}
			if icon := linkHref(asMap(first(t["icon"]))["url"]); isHTTPURL(icon) {
				img = icon
			}
			break
		}
		return ":" + code + ":", img
	}
	if isEmojiText(text) {
		return text, ""
	}
	return "", ""
}

// shortcode reads ":name:" (Misskey adds "@host" for remote emoji).
func shortcode(s string) (string, bool) {
	if len(s) < 3 || len(s) > 102 || s[0] != ':' || s[len(s)-1] != ':' {
		return "", false
	}
	code := s[1 : len(s)-1]
	for _, r := range code {
		if !(r < utf8.RuneSelf && (r == '_' || r == '-' || r == '+' || r == '.' || r == '@' || unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return "", false
		}
	}
	return code, true
}

// isEmojiText accepts a short run of emoji: no ASCII but the keycap bases
// (#, *, digits), no letters, spaces or control characters; joiners and
// variation selectors pass. It cannot carry markup or words.
func isEmojiText(s string) bool {
	n, pictographic := 0, false
	for _, r := range s {
		n++
		switch {
		case n > maxReactionRunes || r == utf8.RuneError:
			return false
		case r < utf8.RuneSelf:
			if !(r == '#' || r == '*' || (r >= '0' && r <= '9')) {
				return false
			}
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Co, r) || unicode.IsLetter(r) || unicode.IsNumber(r):
			return false
		case unicode.Is(unicode.S, r) || unicode.Is(unicode.P, r) || unicode.Is(unicode.Me, r):
			pictographic = true // symbols (most emoji), ‼ ⁉ 〽, the keycap mark
		}
	}
	return pictographic
}

// inboxAnnounce records a boost of one of our articles.
func (s *Service) inboxAnnounce(ctx context.Context, run *inboxRun) (string, error) {
	a, err := s.articleOf(ctx, run, run.act.objectID())
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	return s.storeReaction(ctx, run, models.KindBoost, a)
}

// storeReaction stores a like or boost under the activity's id, which the
// Undo names; a duplicate changes nothing.
func (s *Service) storeReaction(ctx context.Context, run *inboxRun, kind string, a *models.Article) (string, error) {
	created, err := s.store.CreateInteraction(ctx, s.reactionRow(run, kind, a))
	return appliedIf(created), err
}

// reactionRow is the interaction of a like, reaction or boost.
func (s *Service) reactionRow(run *inboxRun, kind string, a *models.Article) *models.Interaction {
	id := run.act.ID
	published := parseTime(run.act.raw["published"])
	if published.IsZero() {
		published = s.now()
	}
	return &models.Interaction{
		ArticleID: a.ID, Kind: kind, Source: models.SourceActivityPub, Status: models.StatusApproved,
		AuthorName: actorDisplayName(run.actor), AuthorURL: actorProfileURL(run.actor),
		RemoteActorID: &run.actor.ID, ObjectURI: &id, ActivityURI: id, URL: actorProfileURL(run.actor),
		InReplyTo: s.cfg.URLs.Article(a.ID), Visibility: visibility(run.act.To, run.act.Cc, run.actor.Followers),
		PublishedAt: published,
	}
}
