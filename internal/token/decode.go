package token

import (
	"encoding/base64"
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
	if d, ok := s.decodeDirect(token); ok {
		return d.checked(s)
	}
	return s.decodeWithParser(token)
}

// strictB64 is golang-jwt's decoding under WithStrictDecoding.
var strictB64 = base64.RawURLEncoding.Strict()

// header is a JOSE header in the shape the service writes it.
type header struct {
	alg, kid, typ string
	hasTyp        bool
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

// directToken is what decodeDirect read, before the header's checks.
type directToken struct {
	decoded
	h header
}

// decodeDirect reads a token in the service's shape; ok is false for
// anything else, which is then left to golang-jwt.
func (s *Service) decodeDirect(token string) (d directToken, ok bool) {
	h64, rest, ok := strings.Cut(token, ".")
	if !ok {
		return d, false
	}
	c64, sig64, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig64, '.') >= 0 {
		return d, false
	}
	hb, err := strictB64.DecodeString(h64)
	if err != nil {
		return d, false
	}
	if d.h, ok = jsonread.Read(hb, headerField); !ok {
		return d, false
	}
	cb, err := strictB64.DecodeString(c64)
	if err != nil {
		return d, false
	}
	c, ok := jsonread.Read(cb, claimsField)
	if !ok {
		return d, false
	}
	if d.sig, err = strictB64.DecodeString(sig64); err != nil {
		return d, false
	}
	d.claims = &c
	d.signed = token[:len(h64)+1+len(c64)]
	return d, true
}

// checked applies keyOf's checks to a directly read header.
func (d directToken) checked(s *Service) (decoded, error) {
	if d.h.alg != alg || jwt.GetSigningMethod(d.h.alg) != jwt.SigningMethodEdDSA {
		return decoded{}, errAlgorithm
	}
	if d.h.hasTyp && !strings.EqualFold(d.h.typ, "JWT") {
		return decoded{}, errHeader
	}
	k, ok := s.ring.key(d.h.kid)
	if !ok {
		return decoded{}, errKID
	}
	d.kid, d.key = d.h.kid, k.key
	return d.decoded, nil
}

// decodeWithParser is decode through golang-jwt's parser.
func (s *Service) decodeWithParser(token string) (decoded, error) {
	c := new(Claims)
	t, parts, err := s.parser.ParseUnverified(token, c)
	if err != nil {
		return decoded{}, err
	}
	key, err := s.keyOf(t)
	if err != nil {
		return decoded{}, err
	}
	// parts[0] and parts[1] are consecutive in token: the signing input is
	// the token up to its second dot.
	kid, _ := t.Header["kid"].(string) // keyOf found it
	return decoded{claims: c, signed: token[:len(parts[0])+1+len(parts[1])], sig: t.Signature, kid: kid, key: key}, nil
}
