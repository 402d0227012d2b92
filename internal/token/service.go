package token

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/chatwidget/identity/internal/identity"
)

// MaxTokenBytes is the size above which Verify refuses a token without
// looking into it.
const MaxTokenBytes = 8 << 10

// DefaultLeeway is the clock skew allowed on nbf and iat unless
// [WithLeeway] says otherwise: a token issued by an instance whose clock is
// a little ahead is not yet refused as from the future. exp has none: the
// token's expires_at, which the issuer answered, is the instant it stops
// working.
const DefaultLeeway = 30 * time.Second

// alg is the one algorithm the service signs with and accepts.
const alg = "EdDSA"

// Service issues and verifies user tokens with a key ring. Its settings are
// fixed by NewService; it is safe for concurrent use.
type Service struct {
	ring   *KeyRing
	parser *jwt.Parser
	issuer string
	now    func() time.Time
	leeway time.Duration
	jwks   []byte
	// verified, when not nil, remembers tokens whose signature checked out
	// (WithVerifiedCache).
	verified *verifiedCache
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock the service reads the current time from, for tests
// and for hosts whose time comes from elsewhere. The default is time.Now; nil
// keeps it.
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithLeeway sets the clock skew allowed on nbf and iat (never on exp); the
// default is [DefaultLeeway]. A negative leeway counts as none.
func WithLeeway(d time.Duration) Option {
	return func(s *Service) { s.leeway = max(d, 0) }
}

// NewService returns a service that signs with the first key of ring, verifies
// with all of them and names itself issuer in iss. It panics when ring is nil
// or has no key, or when issuer is empty: those are programming errors, since
// [ParseKeyRing] never returns an empty ring.
func NewService(ring *KeyRing, issuer string, opts ...Option) *Service {
	if ring == nil || len(ring.keys) == 0 {
		panic("token: NewService needs a key ring with at least one key")
	}
	if issuer == "" {
		panic("token: NewService needs an issuer")
	}
	s := &Service{
		ring:   ring,
		parser: jwt.NewParser(jwt.WithStrictDecoding()),
		issuer: issuer,
		now:    time.Now,
		leeway: DefaultLeeway,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	s.jwks = buildJWKS(ring)
	return s
}

// Issue signs c with the signing key of the ring (alg EdDSA, header kid the
// signing kid, typ JWT) and returns the compact token and its expiry.
//
// The caller sets Kind, Subject, Audience (exactly one org id) and the fields
// of its kind: ContactID (also the Subject) for a contact token; APIKeyID,
// ExternalID, UserID, Email (whose ASCII letters Issue lower-cases) as given
// for a verified token, whose Subject is identity.KeyOf(UserID, Email).String(). Issue sets iss, iat,
// iat_ms, nbf (= iat), exp (= iat + ttl) and jti (a random UUID) itself,
// overwriting whatever c had there. iat, nbf and exp are whole seconds.
//
// Claims that Verify would reject, a ttl under a second, or a token larger
// than [MaxTokenBytes] give an error wrapping [ErrClaims].
func (s *Service) Issue(c Claims, ttl time.Duration) (token string, expiresAt time.Time, err error) {
	if ttl < time.Second {
		return "", time.Time{}, fail(ErrClaims, "ttl under a second")
	}
	c.Email = identity.FoldEmail(c.Email)
	if problem := c.shapeProblem(); problem != "" {
		return "", time.Time{}, fail(ErrClaims, problem)
	}
	if len(c.Audience) != 1 || c.Audience[0] == "" {
		return "", time.Time{}, fail(ErrClaims, "aud must be exactly one org id")
	}
	jti, err := uuid.NewRandom()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: making jti: %w", err)
	}

	now := s.now()
	issuedAt := time.Unix(now.Unix(), 0).UTC()
	expiresAt = issuedAt.Add(ttl).Truncate(time.Second)
	c.Issuer = s.issuer
	c.IssuedAt = jwt.NewNumericDate(issuedAt)
	c.NotBefore = jwt.NewNumericDate(issuedAt)
	c.ExpiresAt = jwt.NewNumericDate(expiresAt)
	c.ID = jti.String()
	c.IssuedAtMilli = now.UnixMilli()

	key := s.ring.keys[0]
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &c)
	t.Header["kid"] = key.kid
	token, err = t.SignedString(signer{key: key.key})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: signing: %w", err)
	}
	if len(token) > MaxTokenBytes {
		return "", time.Time{}, fail(ErrClaims, "token larger than 8 KiB")
	}
	return token, expiresAt, nil
}

// Verify checks that token is a genuine, current user token of the org orgID
// and returns its claims. In this order:
//
//  1. at most [MaxTokenBytes] long, before any parsing;
//  2. well-formed, exp, iat and nbf (when given) from 1970 to 9999, alg
//     exactly EdDSA (the ring decides, not the header), typ JWT when given, no
//     crit, a kid of the ring; the signature of that key;
//  3. iss is the service's issuer; sub, jti, exp, iat and aud present; kind
//     contact or verified; cid in a contact token; no fields of the other
//     kind; iat_ms within the second of iat; exp after iat;
//  4. iat and nbf not in the future (with leeway);
//  5. aud contains orgID;
//  6. exp not passed (without leeway: expired at exp).
//
// A failure of 1 to 4 is [ErrInvalid], of 5 [ErrWrongAudience], of 6
// [ErrExpired]; so a forged or damaged token is invalid even when expired, and
// another org's token is the wrong audience even when expired. The error wraps
// exactly one of the three and never contains the token; the one exception is
// a failure of the ring's [Engine] itself (not a verdict on the token), which
// wraps none of them.
func (s *Service) Verify(token, orgID string) (*Claims, error) {
	return s.VerifySignature(token).For(orgID)
}

// Signed is the outcome of [Service.VerifySignature]: a token whose size,
// encoding, key and signature have been checked (steps 1 and 2 of
// [Service.Verify]), or the error that stopped it there. Its For finishes
// the check for an org.
type Signed struct {
	s   *Service
	c   *Claims
	err error
}

// VerifySignature runs steps 1 and 2 of [Service.Verify], the ones that do
// not depend on the org: in the Worker the signature is a WebCrypto call, so
// the API checks it while it reads the org. VerifySignature(t).For(org) is
// Verify(t, org), error for error.
func (s *Service) VerifySignature(token string) Signed {
	if len(token) > MaxTokenBytes {
		return Signed{err: fail(ErrInvalid, reasonTooLarge)}
	}
	if token == "" {
		return Signed{err: fail(ErrInvalid, reasonEmpty)}
	}
	if c, ok := s.verified.get(token); ok {
		return Signed{s: s, c: c}
	}

	// The token is decoded (strictly, see decode) and the ring's engine
	// checks the signature, so that the Worker can verify with WebCrypto.
	d, err := s.decode(token)
	if err != nil {
		return Signed{err: fail(ErrInvalid, parseReason(err))}
	}
	if len(d.sig) != ed25519.SignatureSize {
		return Signed{err: fail(ErrInvalid, reasonSignature)}
	}
	ok, err := d.key.Verify([]byte(d.signed), d.sig)
	if err != nil {
		return Signed{err: fmt.Errorf("token: verifying a signature: %w", err)}
	}
	if !ok {
		return Signed{err: fail(ErrInvalid, reasonSignature)}
	}
	s.verified.put(token, d.claims)
	return Signed{s: s, c: d.claims}
}

// For runs steps 3 to 6 of [Service.Verify] for the org orgID, or returns
// the error of steps 1 and 2.
func (v Signed) For(orgID string) (*Claims, error) {
	if v.err != nil {
		return nil, v.err
	}
	if v.s == nil { // a zero Signed: nothing was verified
		return nil, fail(ErrInvalid, reasonEmpty)
	}
	s, c := v.s, v.c
	if c.Issuer != s.issuer {
		return nil, fail(ErrInvalid, reasonIssuer)
	}
	if problem := c.shapeProblem(); problem != "" {
		return nil, fail(ErrInvalid, problem)
	}
	switch {
	case c.ID == "":
		return nil, fail(ErrInvalid, reasonNoJTI)
	case c.ExpiresAt == nil:
		return nil, fail(ErrInvalid, reasonNoExp)
	case c.IssuedAt == nil:
		return nil, fail(ErrInvalid, reasonNoIat)
	case !slices.ContainsFunc(c.Audience, func(a string) bool { return a != "" }):
		return nil, fail(ErrInvalid, reasonNoAud)
	case c.IssuedAtMilli != 0 && time.UnixMilli(c.IssuedAtMilli).Unix() != c.IssuedAt.Unix():
		return nil, fail(ErrInvalid, reasonIatMilli)
	case !c.ExpiresAt.After(c.IssuedAt.Time):
		return nil, fail(ErrInvalid, reasonExpBeforeIat)
	}

	now := s.now()
	if now.Add(s.leeway).Before(c.IssuedAt.Time) {
		return nil, fail(ErrInvalid, reasonIssuedFuture)
	}
	if c.NotBefore != nil && now.Add(s.leeway).Before(c.NotBefore.Time) {
		return nil, fail(ErrInvalid, reasonNotYetValid)
	}
	if orgID == "" || !slices.Contains(c.Audience, orgID) {
		return nil, fail(ErrWrongAudience, reasonAudience)
	}
	if !now.Before(c.ExpiresAt.Time) {
		return nil, fail(ErrExpired, reasonExpired)
	}
	if s.verified != nil {
		// c may be in the service's cache: the caller gets its own.
		return c.clone(), nil
	}
	return c, nil
}

// JWKS returns the JSON Web Key Set of every key of the ring, the signing key
// first, for GET /.well-known/jwks.json. It is built once by NewService; each
// call returns a fresh copy.
func (s *Service) JWKS() []byte { return bytes.Clone(s.jwks) }

// Reasons the keyfunc gives the parser; they never leave the package.
var (
	errAlgorithm = errors.New(reasonAlg)
	errHeader    = errors.New(reasonHeader)
	errKID       = errors.New(reasonKID)
)

// keyOf returns the ring's key named by the header's kid. It does not trust
// the header's alg: it must be exactly EdDSA, and golang-jwt's method for it
// its own Ed25519 one (not a replacement registered under that name).
func (s *Service) keyOf(h header) (EngineKey, error) {
	if h.alg != alg || h.method != jwt.SigningMethodEdDSA {
		return nil, errAlgorithm
	}
	if h.hasTyp && !strings.EqualFold(h.typ, "JWT") {
		return nil, errHeader
	}
	if h.hasCrit {
		return nil, errHeader // no extension is understood here (RFC 7515, 4.1.11)
	}
	k, ok := s.ring.key(h.kid) // "" (no kid, or not a string) is no ring's
	if !ok {
		return nil, errKID
	}
	return k.key, nil
}

// parseReason turns an error of the parser into a fixed reason, dropping its
// text (which may quote bits of the token).
func parseReason(err error) string {
	switch {
	case errors.Is(err, errKID):
		return reasonKID
	case errors.Is(err, errHeader):
		return reasonHeader
	case errors.Is(err, errAlgorithm):
		return reasonAlg
	case errors.Is(err, jwt.ErrTokenMalformed):
		return reasonMalformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg unknown to golang-jwt, or absent
		return reasonAlg
	default:
		return reasonUnverifiable
	}
}
