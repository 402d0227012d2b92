package store

import (
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// orgCacheSize bounds the orgs one instance keeps: far more than the orgs
// whose widgets one isolate serves at a time, and a few hundred KB at most.
const orgCacheSize = 1024

// orgCacheTTL is how long an org read is kept: an org changes only when the
// vendor changes its name or origins (UpdateOrg), which KV itself may show
// in another location up to about a minute late. The two add up: a read at
// the end of KV's minute, still the old org, is kept a minute more, so
// another instance sees a change within about two minutes. It costs one
// get a minute per org.
const orgCacheTTL = time.Minute

// orgCache holds orgs by widget token for orgCacheTTL; when full, an
// arbitrary entry makes room. Callers get copies: what they do to an org
// never reaches the next request.
//
// drops counts the orgs this instance changed: a read of KV that began
// before a change may end after it, with the org as it was, and must not
// then be kept (put is given the count seen before the read), or this
// instance would serve the old origins for a minute after its own change.
type orgCache struct {
	mu    sync.Mutex
	m     map[string]cachedOrg
	drops uint64
}

type cachedOrg struct {
	org  *identity.Org
	read time.Time
}

func (c *orgCache) get(pk string, now time.Time) (*identity.Org, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[pk]
	if !ok || now.Sub(e.read) >= orgCacheTTL || now.Before(e.read) {
		return nil, false
	}
	return e.org.Clone(), true
}

// gen is the count of drops, to be given to put for a read begun now.
func (c *orgCache) gen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drops
}

// put keeps org, read from KV in a read begun at generation gen, unless an
// org was changed (dropped) since: then what was read may be the old one.
func (c *orgCache) put(pk string, org *identity.Org, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.drops {
		return
	}
	if c.m == nil {
		c.m = make(map[string]cachedOrg)
	}
	if _, ok := c.m[pk]; !ok && len(c.m) >= orgCacheSize {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[pk] = cachedOrg{org: org.Clone(), read: now}
}

// drop forgets the org of pk, changed by this instance (after its write to
// KV), and refuses the reads begun before it.
func (c *orgCache) drop(pk string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	delete(c.m, pk)
}
