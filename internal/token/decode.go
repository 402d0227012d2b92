package token

import (
	"encoding/base64"
	"encoding/json"
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

// decode takes token apart through golang-jwt's strict parser, or returns
// the error that refuses it, before any signature check.
//
// Until issue 18 a token in the shape the service writes was decoded
// directly (jsonread), sparing the parser's encoding/json; measured on the
// TinyGo worker, the workerd process's CPU per request was the same without
// it (authenticate -2%, contacts -6%, listing -8%, message -6%, within the
// +-10% two runs of one build differ by), so golang-jwt does it alone.
func (s *Service) decode(token string) (decoded, error) {
	d, h, err := s.decodeWithParser(token)
	if err != nil {
		return decoded{}, err
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
	if !clockTimes(parts[1]) {
		return decoded{}, header{}, fmt.Errorf("%w: %s", jwt.ErrTokenMalformed, reasonTimeRange)
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

// maxClockUnix is the last second of year 9999.
const maxClockUnix = 253402300799

// clockTimes reports whether the exp, iat and nbf of the claims part (as the
// parser read it: base64, padded or not) are times a clock reads, from 1970
// to 9999. golang-jwt turns a NumericDate beyond int64 seconds (1e300) into
// a time that depends on the machine's float conversion (the far past on
// amd64, 1970 on 386), which would pass the iat and nbf checks, so the
// numbers are read as sent. encoding/json matches their names as the parser
// does (case-insensitively, the last of a repeated key).
func clockTimes(part string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return false
	}
	var times struct {
		Exp, Iat, Nbf *json.Number
	}
	if json.Unmarshal(b, &times) != nil {
		return false
	}
	for _, n := range []*json.Number{times.Exp, times.Iat, times.Nbf} {
		if n == nil {
			continue
		}
		f, err := n.Float64()
		if err != nil || !(f >= 0 && f <= maxClockUnix) {
			return false
		}
	}
	return true
}
