package store

import (
	"sync"

	"github.com/chatwidget/identity/internal/identity"
)

// orgCacheSize bounds the orgs one instance keeps: far more than the orgs
// whose widgets one isolate serves at a time, and a few hundred KB at most.
const orgCacheSize = 1024

// orgCache holds orgs by widget token. Orgs never change once written, so
// nothing expires; when full, an arbitrary entry makes room. Callers get
// copies: what they do to an org never reaches the next request.
type orgCache struct {
	mu sync.Mutex
	m  map[string]*identity.Org
}

func (c *orgCache) get(pk string) (*identity.Org, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	org, ok := c.m[pk]
	if !ok {
		return nil, false
	}
	return org.Clone(), true
}

func (c *orgCache) put(pk string, org *identity.Org) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*identity.Org)
	}
	if _, ok := c.m[pk]; !ok && len(c.m) >= orgCacheSize {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[pk] = org.Clone()
}
