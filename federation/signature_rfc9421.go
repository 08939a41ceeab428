package federation

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file implements the part of RFC 9421 (HTTP Message Signatures) and
// RFC 8941 (Structured Field Values) that fediverse peers use: Mastodon 4.4+
// accepts it, and signs @method @target-uri content-digest with created.

// sfToken distinguishes a token from a string in parsed structured fields.
type sfToken string

// sfParam is one ";key=value" parameter. Value is int64, float64 (decimal),
// string, sfToken, []byte or bool.
type sfParam struct {
	Key   string
	Value any
}

type sfItem struct {
	Value  any
	Params []sfParam
}

// sfMember is a dictionary member: an item, or an inner list when IsList.
type sfMember struct {
	Key    string
	IsList bool
	Item   sfItem   // when !IsList
	List   []sfItem // when IsList
	Params []sfParam
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// parseSFDictionary parses an RFC 8941 dictionary, keeping member order. A
// repeated key replaces the earlier value in place, as §4.2.2 says.
func parseSFDictionary(s string) ([]sfMember, error) {
	if len(s) > maxSignatureHeader {
		return nil, errors.New("structured field too long")
	}
	p := &sfParser{s: s}
	p.skipSP()
	var out []sfMember
	for !p.eof() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		m := sfMember{Key: key}
		if !p.eof() && p.s[p.i] == '=' {
			p.i++
			if !p.eof() && p.s[p.i] == '(' {
				m.IsList = true
				m.List, m.Params, err = p.innerList()
			} else {
				m.Item, err = p.item()
			}
			if err != nil {
				return nil, fmt.Errorf("member %q: %w", key, err)
			}
		} else {
			m.Item.Value = true
			if m.Item.Params, err = p.params(); err != nil {
				return nil, fmt.Errorf("member %q: %w", key, err)
			}
		}
		replaced := false
		for j := range out {
			if out[j].Key == key {
				out[j] = m
				replaced = true
			}
		}
		if !replaced {
			out = append(out, m)
		}
		p.skipOWS()
		if p.eof() {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, fmt.Errorf("expected ',' at offset %d", p.i)
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return nil, errors.New("trailing comma")
		}
	}
	return out, nil
}

func (p *sfParser) key() (string, error) {
	if p.eof() || !(isLCAlpha(p.s[p.i]) || p.s[p.i] == '*') {
		return "", fmt.Errorf("expected a key at offset %d", p.i)
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) innerList() ([]sfItem, []sfParam, error) {
	p.i++ // '('
	var items []sfItem
	for !p.eof() {
		p.skipSP()
		if p.eof() {
			break
		}
		if p.s[p.i] == ')' {
			p.i++
			params, err := p.params()
			return items, params, err
		}
		it, err := p.item()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		if p.eof() || (p.s[p.i] != ' ' && p.s[p.i] != ')') {
			return nil, nil, fmt.Errorf("expected ' ' or ')' at offset %d", p.i)
		}
	}
	return nil, nil, errors.New("unterminated inner list")
}

func (p *sfParser) item() (sfItem, error) {
	v, err := p.bareItem()
	if err != nil {
		return sfItem{}, err
	}
	params, err := p.params()
	return sfItem{Value: v, Params: params}, err
}

func (p *sfParser) params() ([]sfParam, error) {
	var out []sfParam
	for !p.eof() && p.s[p.i] == ';' {
		p.i++
		p.skipSP()
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if !p.eof() && p.s[p.i] == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, fmt.Errorf("parameter %q: %w", k, err)
			}
		}
		replaced := false
		for j := range out {
			if out[j].Key == k {
				out[j].Value = v
				replaced = true
			}
		}
		if !replaced {
			out = append(out, sfParam{Key: k, Value: v})
		}
	}
	return out, nil
}

func (p *sfParser) bareItem() (any, error) {
	if p.eof() {
		return nil, errors.New("unexpected end of input")
	}
	c := p.s[p.i]
	switch {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case c == ':':
		return p.byteSeq()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, fmt.Errorf("invalid boolean at offset %d", p.i)
	case c == '*' || isAlpha(c):
		start := p.i
		for p.i < len(p.s) && (isTChar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
			p.i++
		}
		return sfToken(p.s[start:p.i]), nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}

func (p *sfParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digitsStart := p.i
	dot := -1
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isDigit(c) {
			p.i++
			continue
		}
		if c == '.' && dot < 0 {
			dot = p.i
			p.i++
			continue
		}
		break
	}
	text := p.s[start:p.i]
	if dot < 0 {
		if p.i == digitsStart || p.i-digitsStart > 15 {
			return nil, fmt.Errorf("invalid integer %q", text)
		}
		return strconv.ParseInt(text, 10, 64)
	}
	intLen, fracLen := dot-digitsStart, p.i-dot-1
	if intLen < 1 || intLen > 12 || fracLen < 1 || fracLen > 3 {
		return nil, fmt.Errorf("invalid decimal %q", text)
	}
	return strconv.ParseFloat(text, 64)
}

func (p *sfParser) str() (any, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return nil, errors.New("invalid escape in string")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String(), nil
		case c < 0x20 || c > 0x7e:
			return nil, errors.New("invalid character in string")
		default:
			b.WriteByte(c)
		}
	}
	return nil, errors.New("unterminated string")
}

func (p *sfParser) byteSeq() (any, error) {
	p.i++ // ':'
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ':' {
		c := p.s[p.i]
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return nil, fmt.Errorf("invalid character %q in byte sequence", c)
		}
		p.i++
	}
	if p.i >= len(p.s) {
		return nil, errors.New("unterminated byte sequence")
	}
	enc := p.s[start:p.i]
	p.i++
	b, err := decodeBase64(enc)
	if err != nil {
		return nil, fmt.Errorf("byte sequence is not base64: %w", err)
	}
	return b, nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

func isTChar(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// serializeSFInnerList writes the canonical form used for @signature-params.
func serializeSFInnerList(items []sfItem, params []sfParam) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeSFBare(&b, it.Value)
		writeSFParams(&b, it.Params)
	}
	b.WriteByte(')')
	writeSFParams(&b, params)
	return b.String()
}

func writeSFParams(b *strings.Builder, params []sfParam) {
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.Key)
		if v, ok := p.Value.(bool); ok && v {
			continue
		}
		b.WriteByte('=')
		writeSFBare(b, p.Value)
	}
}

func writeSFBare(b *strings.Builder, v any) {
	switch x := v.(type) {
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		s := strconv.FormatFloat(x, 'f', 3, 64)
		s = strings.TrimRight(s, "0")
		if strings.HasSuffix(s, ".") {
			s += "0"
		}
		b.WriteString(s)
	case string:
		b.WriteByte('"')
		for i := 0; i < len(x); i++ {
			if x[i] == '"' || x[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(x[i])
		}
		b.WriteByte('"')
	case sfToken:
		b.WriteString(string(x))
	case []byte:
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(x))
		b.WriteByte(':')
	case bool:
		if x {
			b.WriteString("?1")
		} else {
			b.WriteString("?0")
		}
	}
}

// rfc9421Input is one signature selected from Signature-Input/Signature.
type rfc9421Input struct {
	Label      string
	Components []string // component names, lower-case, in order
	Params     []sfParam
	Raw        sfMember
	Signature  []byte
	KeyID      string
	Alg        string
	Created    int64
	HasCreated bool
	Expires    int64
	HasExpires bool
}

// parseSignatureInput picks the first signature in Signature-Input that has
// a matching entry in Signature. Component parameters (;sf, ;key, ;bs, ;req,
// ;name) are refused: no fediverse peer uses them and we do not derive them.
func parseSignatureInput(input, signature string) (*rfc9421Input, error) {
	inputs, err := parseSFDictionary(input)
	if err != nil {
		return nil, fmt.Errorf("Signature-Input: %w", err)
	}
	sigs, err := parseSFDictionary(signature)
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	for _, in := range inputs {
		if !in.IsList {
			continue
		}
		var sig []byte
		for _, s := range sigs {
			if s.Key == in.Key && !s.IsList {
				sig, _ = s.Item.Value.([]byte)
			}
		}
		if sig == nil {
			continue
		}
		out := &rfc9421Input{Label: in.Key, Params: in.Params, Raw: in, Signature: sig}
		seen := map[string]bool{}
		for _, it := range in.List {
			name, ok := it.Value.(string)
			if !ok {
				return nil, fmt.Errorf("signature %q: component identifiers must be strings", in.Key)
			}
			if len(it.Params) > 0 {
				return nil, fmt.Errorf("signature %q: component parameters (on %q) are not supported", in.Key, name)
			}
			if name != strings.ToLower(name) {
				return nil, fmt.Errorf("signature %q: component %q must be lower-case", in.Key, name)
			}
			if seen[name] {
				return nil, fmt.Errorf("signature %q: component %q is repeated", in.Key, name)
			}
			seen[name] = true
			out.Components = append(out.Components, name)
		}
		for _, p := range in.Params {
			switch p.Key {
			case "keyid":
				s, ok := p.Value.(string)
				if !ok {
					return nil, errors.New("keyid must be a string")
				}
				out.KeyID = s
			case "alg":
				s, ok := p.Value.(string)
				if !ok {
					return nil, errors.New("alg must be a string")
				}
				out.Alg = s
			case "created":
				n, ok := p.Value.(int64)
				if !ok {
					return nil, errors.New("created must be an integer")
				}
				out.Created, out.HasCreated = n, true
			case "expires":
				n, ok := p.Value.(int64)
				if !ok {
					return nil, errors.New("expires must be an integer")
				}
				out.Expires, out.HasExpires = n, true
			}
		}
		return out, nil
	}
	return nil, errors.New("no signature label appears in both Signature-Input and Signature")
}

func parseRFC9421(r *http.Request, withBody bool, opt VerifyOptions) (*SignedRequest, error) {
	sigHeader := strings.Join(r.Header.Values("Signature"), ", ")
	if sigHeader == "" {
		return nil, unauthorized("Signature-Input is present but Signature is missing")
	}
	in, err := parseSignatureInput(strings.Join(r.Header.Values("Signature-Input"), ", "), sigHeader)
	if err != nil {
		return nil, badRequest("malformed RFC 9421 signature: %v", err)
	}
	if in.KeyID == "" {
		return nil, unauthorized("signature %q has no keyid", in.Label)
	}
	switch in.Alg {
	case "", "rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519", "ecdsa-p256-sha256":
	default:
		return nil, unauthorized("unsupported signature algorithm %q", in.Alg)
	}
	covered := map[string]bool{}
	for _, c := range in.Components {
		covered[c] = true
	}
	if !in.HasCreated {
		return nil, unauthorized("the created parameter must be signed")
	}
	if !covered["@method"] {
		return nil, unauthorized("@method must be signed")
	}
	if !covered["@target-uri"] && !(covered["@authority"] && (covered["@path"] || covered["@request-target"])) {
		return nil, unauthorized("@target-uri (or @authority with @path) must be signed")
	}
	if withBody && !covered["content-digest"] {
		return nil, unauthorized("content-digest must be signed for a %s with a body", r.Method)
	}

	now := opt.now()
	created := time.Unix(in.Created, 0)
	if err := checkWindow("created", created, now, opt); err != nil {
		return nil, err
	}
	if in.HasExpires {
		if err := checkExpires(time.Unix(in.Expires, 0), created, now, opt); err != nil {
			return nil, err
		}
	}
	if covered["content-digest"] && len(r.Header.Values("Content-Digest")) == 0 {
		return nil, unauthorized("Content-Digest header is missing")
	}
	bases, err := signatureBases(r, in)
	if err != nil {
		return nil, err
	}
	sr := &SignedRequest{KeyID: in.KeyID, scheme: "rfc9421", verify: anyBase(bases, func(key crypto.PublicKey, base []byte) error {
		return verifyRFC9421Signature(key, in.Alg, base, in.Signature)
	})}
	if covered["content-digest"] {
		digests := r.Header.Values("Content-Digest")
		sr.digest = func(body []byte) error { return checkContentDigest(digests, body) }
	}
	return sr, nil
}

// signatureBases builds the RFC 9421 §2.5 signature base. Behind a
// TLS-terminating proxy the server cannot know the scheme the sender used in
// @target-uri/@scheme, so without r.TLS both https and http are tried.
func signatureBases(r *http.Request, in *rfc9421Input) ([]string, error) {
	schemes := []string{"https", "http"}
	if r.TLS != nil {
		schemes = schemes[:1]
	}
	needsScheme := false
	for _, c := range in.Components {
		if c == "@target-uri" || c == "@scheme" {
			needsScheme = true
		}
	}
	if !needsScheme {
		schemes = schemes[:1]
	}
	out := make([]string, 0, len(schemes))
	for _, scheme := range schemes {
		var b strings.Builder
		for _, c := range in.Components {
			v, err := componentValue(r, c, scheme)
			if err != nil {
				return nil, err
			}
			writeSFBare(&b, c)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
		b.WriteString(`"@signature-params": `)
		b.WriteString(serializeSFInnerList(in.Raw.List, in.Raw.Params))
		out = append(out, b.String())
	}
	return out, nil
}

func componentValue(r *http.Request, name, scheme string) (string, error) {
	switch name {
	case "@method":
		return r.Method, nil
	case "@target-uri":
		return scheme + "://" + normalizedAuthority(r, scheme) + requestURI(r), nil
	case "@authority":
		return normalizedAuthority(r, scheme), nil
	case "@scheme":
		return scheme, nil
	case "@request-target":
		return requestURI(r), nil
	case "@path":
		return escapedPath(r), nil
	case "@query":
		return "?" + r.URL.RawQuery, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", unauthorized("unsupported derived component %s", name)
	}
	if name == "host" {
		return requestHost(r), nil
	}
	vals := r.Header.Values(name)
	if len(vals) == 0 {
		return "", unauthorized("signed header %s is missing", name)
	}
	return joinHeaderValues(vals), nil
}

// normalizedAuthority lower-cases the host and drops the scheme's default
// port (RFC 9421 §2.2.3 via RFC 9110 §4.2.3).
func normalizedAuthority(r *http.Request, scheme string) string {
	h := strings.ToLower(requestHost(r))
	if scheme == "https" {
		h = strings.TrimSuffix(h, ":443")
	} else if scheme == "http" {
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// checkContentDigest verifies an RFC 9530 Content-Digest header: at least
// one of sha-256/sha-512 must be offered and every one offered must match.
func checkContentDigest(vals []string, body []byte) error {
	if len(vals) == 0 {
		return unauthorized("Content-Digest header is missing")
	}
	members, err := parseSFDictionary(strings.Join(vals, ", "))
	if err != nil {
		return badRequest("malformed Content-Digest header: %v", err)
	}
	known := 0
	var offered []string
	for _, m := range members {
		offered = append(offered, m.Key)
		var want []byte
		switch m.Key {
		case "sha-256":
			s := sha256.Sum256(body)
			want = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		known++
		got, ok := m.Item.Value.([]byte)
		if m.IsList || !ok {
			return badRequest("Content-Digest %s is not a byte sequence", m.Key)
		}
		if !bytes.Equal(got, want) {
			return badRequest("Content-Digest %s does not match the body (computed %s, given %s)",
				m.Key, base64.StdEncoding.EncodeToString(want), base64.StdEncoding.EncodeToString(got))
		}
	}
	if known == 0 {
		return unauthorized("Content-Digest must contain sha-256 or sha-512 (offered: %s)", strings.Join(offered, ", "))
	}
	return nil
}

// verifyRFC9421Signature checks the signature base with the named algorithm,
// or, without alg, the algorithm implied by the key (RSA → rsa-v1_5-sha256,
// as Mastodon does).
func verifyRFC9421Signature(key crypto.PublicKey, alg string, msg, sig []byte) error {
	switch k := normalizeKey(key).(type) {
	case *rsa.PublicKey:
		switch alg {
		case "", "rsa-v1_5-sha256":
			return verifyRSA(k, msg, sig)
		case "rsa-pss-sha512":
			return verifyRSAPSS512(k, msg, sig)
		}
	case ed25519.PublicKey:
		if alg == "" || alg == "ed25519" {
			return verifyEd25519(k, msg, sig)
		}
	case *ecdsa.PublicKey:
		if alg == "" || alg == "ecdsa-p256-sha256" {
			return verifyECDSAP256(k, msg, sig)
		}
	default:
		return fmt.Errorf("unsupported key type %T", key)
	}
	return fmt.Errorf("algorithm %q does not match key type %T", alg, key)
}
