package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Outgoing vocabulary: our models → ActivityStreams JSON. go-fed builds the
// core shapes; finish() then repairs what its serializer gets wrong for the
// fediverse. Nothing outside this package sees a go-fed type.

// PublicCollection is the audience "everyone".
const PublicCollection = "https://www.w3.org/ns/activitystreams#Public"

// AS2ContentType is what every ActivityPub document is served and posted as.
const AS2ContentType = "application/activity+json"

// Doc is an ActivityStreams document as a JSON object.
type Doc = map[string]any

// ldContext is the @context Mastodon itself sends: the security vocabulary
// for publicKey and the extension terms we use, so JSON-LD processors
// (Mastodon's LD-signature code, GoToSocial) expand them correctly. It is
// built per call: a shared map would be mutable package state.
func ldContext() []any {
	return []any{
		"https://www.w3.org/ns/activitystreams",
		"https://w3id.org/security/v1",
		map[string]any{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"toot":                      "http://joinmastodon.org/ns#",
			"discoverable":              "toot:discoverable",
			"indexable":                 "toot:indexable",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"schema":                    "http://schema.org#",
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",
			"alsoKnownAs":               map[string]any{"@id": "as:alsoKnownAs", "@type": "@id"},
			// Quote posts (FEP-044f) and interaction policies, as Mastodon 4.5 spells them.
			"gts":                "https://gotosocial.org/ns#",
			"interactionPolicy":  map[string]any{"@id": "gts:interactionPolicy", "@type": "@id"},
			"canQuote":           map[string]any{"@id": "gts:canQuote", "@type": "@id"},
			"automaticApproval":  map[string]any{"@id": "gts:automaticApproval", "@type": "@id"},
			"manualApproval":     map[string]any{"@id": "gts:manualApproval", "@type": "@id"},
			"interactingObject":  map[string]any{"@id": "gts:interactingObject"},
			"interactionTarget":  map[string]any{"@id": "gts:interactionTarget"},
			"QuoteRequest":       "https://w3id.org/fep/044f#QuoteRequest",
			"QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
			"quote":              map[string]any{"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
			"quoteAuthorization": map[string]any{"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
		},
	}
}

// arrayKeys are properties peers expect as arrays even with one value;
// go-fed collapses one-element lists to scalars (go-fed issue #139).
var arrayKeys = [...]string{"to", "cc", "bto", "bcc", "tag", "attachment", "orderedItems", "items", "alsoKnownAs"}

// finish serializes a go-fed value and post-processes the map: the
// Mastodon-compatible @context, and list properties always as arrays.
func finish(t vocab.Type) (Doc, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", t.GetTypeName(), err)
	}
	forceArrays(m)
	m["@context"] = ldContext()
	return m, nil
}

// nested serializes a go-fed value meant to sit inside another document.
func nested(t vocab.Type) (Doc, error) {
	m, err := t.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", t.GetTypeName(), err)
	}
	forceArrays(m)
	return m, nil
}

// forceArrays wraps scalar list properties in arrays, recursively, so an
// embedded object (the Article inside a Create) gets the same treatment.
func forceArrays(m map[string]any) {
	for _, k := range arrayKeys {
		if v, ok := m[k]; ok {
			if _, isList := v.([]any); !isList {
				m[k] = []any{v}
			}
		}
	}
	for _, v := range m {
		switch x := v.(type) {
		case map[string]any:
			forceArrays(x)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					forceArrays(em)
				}
			}
		}
	}
}

// MarshalDoc encodes a document. HTML is not escaped: content is HTML, and
// \u003c everywhere only bloats deliveries.
func MarshalDoc(d Doc) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode %v document: %w", d["type"], err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// iri parses a URI for go-fed. Ours always parse; a malformed remote one is
// kept verbatim rather than dropped.
func iri(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{Opaque: s}
	}
	return u
}

// Small go-fed property helpers: the generated API needs one constructor per
// property, which would drown the builders.

func idProp(s string) vocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(iri(s))
	return p
}

func toProp(uris ...string) vocab.ActivityStreamsToProperty {
	p := streams.NewActivityStreamsToProperty()
	for _, u := range uris {
		p.AppendIRI(iri(u))
	}
	return p
}

func ccProp(uris ...string) vocab.ActivityStreamsCcProperty {
	p := streams.NewActivityStreamsCcProperty()
	for _, u := range uris {
		if u != "" {
			p.AppendIRI(iri(u))
		}
	}
	return p
}

func nameProp(s string) vocab.ActivityStreamsNameProperty {
	p := streams.NewActivityStreamsNameProperty()
	p.AppendXMLSchemaString(s)
	return p
}

func summaryProp(s string) vocab.ActivityStreamsSummaryProperty {
	p := streams.NewActivityStreamsSummaryProperty()
	p.AppendXMLSchemaString(s)
	return p
}

func contentProp(s string) vocab.ActivityStreamsContentProperty {
	p := streams.NewActivityStreamsContentProperty()
	p.AppendXMLSchemaString(s)
	return p
}

func urlProp(s string) vocab.ActivityStreamsUrlProperty {
	p := streams.NewActivityStreamsUrlProperty()
	p.AppendIRI(iri(s))
	return p
}

func attributedToProp(s string) vocab.ActivityStreamsAttributedToProperty {
	p := streams.NewActivityStreamsAttributedToProperty()
	p.AppendIRI(iri(s))
	return p
}

func actorProp(s string) vocab.ActivityStreamsActorProperty {
	p := streams.NewActivityStreamsActorProperty()
	p.AppendIRI(iri(s))
	return p
}

func publishedProp(t time.Time) vocab.ActivityStreamsPublishedProperty {
	p := streams.NewActivityStreamsPublishedProperty()
	p.Set(t.UTC().Truncate(time.Second))
	return p
}

func updatedProp(t time.Time) vocab.ActivityStreamsUpdatedProperty {
	p := streams.NewActivityStreamsUpdatedProperty()
	p.Set(t.UTC().Truncate(time.Second))
	return p
}

func totalItemsProp(n int) vocab.ActivityStreamsTotalItemsProperty {
	p := streams.NewActivityStreamsTotalItemsProperty()
	p.Set(n)
	return p
}

// asTime formats a time as peers write it (xsd:dateTime in UTC, seconds).
func asTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
