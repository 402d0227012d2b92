package token

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/chatwidget/identity/internal/jsonread"
	"github.com/golang-jwt/jwt/v5"
)

// decoded is a token taken apart for its signature check: its claims, the
// signing input, the signature and the ring's key its header names.
type decoded struct {
	claims *Claims
	signed string
	sig    []byte
	kid    string
	key    EngineKey
}

// decode takes token apart, or returns the error that refuses it, before
// any signature check. A token in the shape the service writes (a header of
// alg, kid and typ, claims jsonread reads) is decoded directly; any other
// goes through golang-jwt's strict parser, which then decides. So the two
// always agree, which FuzzDecodeLikeGolangJWT holds them to: the direct path
// only spares the parser's encoding/json decoding of the header into a map
// and its second pass over the claims, on every request with a token.
func (s *Service) decode(token string) (decoded, error) {
	d, h, ok := decodeDirect(token)
	if !ok {
		var err error
		if d, h, err = s.decodeWithParser(token); err != nil {
			return decoded{}, err
		}
	}
	return s.withKey(d, h)
}

// withKey is d with the ring's key that h names, or keyOf's refusal.
func (s *Service) withKey(d decoded, h header) (decoded, error) {
	key, err := s.keyOf(h)
	if err != nil {
		return decoded{}, err
	}
	d.kid, d.key = h.kid, key
	return d, nil
}

// decodeWithParser is decode's reading through golang-jwt's parser.
//
// The parser decodes the header into a map and the claims (aud into an
// interface) with encoding/json, which recurses once per level of nesting:
// a token whose header or claims nest deeper than jsonread.MaxDepth would
// overflow the worker's fixed TinyGo stack, so it is refused first, as
// malformed.
func (s *Service) decodeWithParser(token string) (decoded, header, error) {
	if tooDeep(token) {
		return decoded{}, header{}, fmt.Errorf("%w: its JSON nests deeper than %d levels", jwt.ErrTokenMalformed, jsonread.MaxDepth)
	}
	c := new(Claims)
	t, parts, err := s.parser.ParseUnverified(token, c)
	if err != nil {
		return decoded{}, header{}, err
	}
	// parts[0] and parts[1] are consecutive in token: the signing input is
	// the token up to its second dot.
	return decoded{claims: c, signed: token[:len(parts[0])+1+len(parts[1])], sig: t.Signature}, headerOf(t), nil
}

// tooDeep reports whether the header or the claims of token, as base64
// (padded or not) decodes them, nest deeper than jsonread.MaxDepth. A part
// that does not decode is left to the parser to refuse.
func tooDeep(token string) bool {
	parts := strings.SplitN(token, ".", 3)
	for _, p := range parts[:min(2, len(parts))] {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
		if err == nil && jsonread.Depth(b) > jsonread.MaxDepth {
			return true
		}
	}
	return false
}

// strictB64 is golang-jwt's decoding under WithStrictDecoding.
var strictB64 = base64.RawURLEncoding.Strict()

// header is what keyOf looks at in a JOSE header. A member of another kind
// than a string reads as "".
type header struct {
	alg, kid, typ   string
	method          jwt.SigningMethod // golang-jwt's for alg
	hasTyp, hasCrit bool
}

// headerOf is the header golang-jwt's parser read.
func headerOf(t *jwt.Token) header {
	h := header{method: t.Method}
	h.alg, _ = t.Header["alg"].(string)
	h.kid, _ = t.Header["kid"].(string)
	var typ any
	typ, h.hasTyp = t.Header["typ"]
	h.typ, _ = typ.(string)
	_, h.hasCrit = t.Header["crit"]
	return h
}

func headerField(r *jsonread.Reader, h *header, key []byte) bool {
	switch string(key) {
	case "alg":
		return r.Str(&h.alg)
	case "kid":
		return r.Str(&h.kid)
	case "typ":
		h.hasTyp = true
		return r.Str(&h.typ)
	}
	return false // crit or any other member: the parser's path decides
}

// decodeDirect reads a token in the service's shape; ok is false for
// anything else, which is then left to golang-jwt.
func decodeDirect(token string) (d decoded, h header, ok bool) {
	h64, rest, ok := strings.Cut(token, ".")
	if !ok {
		return d, h, false
	}
	c64, sig64, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig64, '.') >= 0 {
		return d, h, false
	}
	hb, err := strictB64.DecodeString(h64)
	if err != nil {
		return d, h, false
	}
	if h, ok = jsonread.Read(hb, headerField); !ok {
		return d, h, false
	}
	h.method = jwt.GetSigningMethod(h.alg)
	cb, err := strictB64.DecodeString(c64)
	if err != nil {
		return d, h, false
	}
	c, ok := jsonread.Read(cb, claimsField)
	if !ok {
		return d, h, false
	}
	if d.sig, err = strictB64.DecodeString(sig64); err != nil {
		return d, h, false
	}
	d.claims = &c
	d.signed = token[:len(h64)+1+len(c64)]
	return d, h, true
}
