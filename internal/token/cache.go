package token

import (
	"slices"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// WithVerifiedCache has the service remember the claims of up to n tokens
// whose signature it verified, so that a token presented again skips its
// decoding and signature check (steps 1 and 2 of [Service.Verify]): a widget
// sends the same token with every call of a conversation. Only what those
// steps decide is remembered; the checks of [Signed.For] (issuer, shape,
// audience, times) run on every call, so an expired token is refused as it
// would be without the cache. A token enters only once its signature checked
// out, so what fills the cache needs a key of the ring; n <= 0 turns it off
// (the default).
func WithVerifiedCache(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.verified = &verifiedCache{half: max(n/2, 1)}
		} else {
			s.verified = nil
		}
	}
}

// verifiedCache maps a token, byte for byte, to its verified claims, in two
// generations: lookups read the current one, then the previous (a hit there
// moves back to the current); when the current holds half the bound it
// becomes the previous and the oldest generation is dropped. So it holds at
// most twice half, and a token in use stays.
type verifiedCache struct {
	mu       sync.Mutex
	half     int
	cur, old map[string]*Claims
}

func (c *verifiedCache) get(token string) (*Claims, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if claims, ok := c.cur[token]; ok {
		return claims, true
	}
	claims, ok := c.old[token]
	if ok {
		delete(c.old, token)
		c.putLocked(token, claims)
	}
	return claims, ok
}

func (c *verifiedCache) put(token string, claims *Claims) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(token, claims)
}

func (c *verifiedCache) putLocked(token string, claims *Claims) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[string]*Claims, c.half)
	}
	c.cur[token] = claims
}

// clone is a copy of c that shares nothing a caller could change.
func (c *Claims) clone() *Claims {
	cp := *c
	cp.Audience = slices.Clone(c.Audience)
	for _, d := range []**jwt.NumericDate{&cp.ExpiresAt, &cp.NotBefore, &cp.IssuedAt} {
		if *d != nil {
			v := **d
			*d = &v
		}
	}
	return &cp
}
