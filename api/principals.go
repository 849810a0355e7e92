package api

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"shopflow/auth"
	"shopflow/store"
)

// principals keeps, for SHOPFLOW_AUTH_CACHE_TTL, what the database said about the account and
// session an access token speaks for (store.PrincipalOf), so an authenticated request normally
// costs no database round trip.
//
// Revocation stays sound because every write this process makes that changes the answer
// (logout, refresh-token reuse, password, role or disabled changes) forgets the affected
// entries once it is done, and a read that began before such a write is never kept: within one
// process a revoked token is refused from the next request. Another API process, or a change
// made directly in the database, is seen here only when the entry expires, so it takes effect
// within the TTL. Errors are never cached; a zero TTL reads on every request.
type principals struct {
	read  principalReader
	ttl   time.Duration
	now   func() time.Time
	cache *lru.Cache[principalKey, cachedPrincipal] // nil when the TTL is 0
	fills singleflight.Group

	// mu orders keeping a read against forgetting: both happen under it, so a read cannot be
	// stored after a write that made it stale was forgotten.
	mu sync.Mutex
	// generation counts forgets. A read is kept only if none happened while it ran, and
	// concurrent misses share a read only within one generation.
	generation atomic.Uint64
}

// principalReader answers what store.PrincipalOf answers; tests count or fake it.
type principalReader func(ctx context.Context, userID, familyID string) (store.Principal, error)

// principalKey is one session of one account; an empty family is a token naming no session.
type principalKey struct{ user, family string }

type cachedPrincipal struct {
	p       store.Principal
	expires time.Time
}

// principalCacheSize bounds the entries (a few hundred bytes each) one process keeps: far more
// sessions than are active within one TTL; beyond it the least recently used go first.
const principalCacheSize = 50_000

// principalReadTimeout bounds a shared read, which outlives any one request waiting on it.
const principalReadTimeout = 5 * time.Second

func newPrincipals(ttl time.Duration, read principalReader) *principals {
	c := &principals{read: read, ttl: ttl, now: time.Now}
	if ttl > 0 {
		c.cache, _ = lru.New[principalKey, cachedPrincipal](principalCacheSize) // errs only for a size <= 0
	}
	return c
}

// of returns the principal of userID's session familyID, from the cache while fresh.
func (c *principals) of(ctx context.Context, userID, familyID string) (store.Principal, error) {
	if c.cache == nil {
		return c.read(ctx, userID, familyID)
	}
	key := principalKey{userID, familyID}
	if e, ok := c.cache.Get(key); ok && c.now().Before(e.expires) {
		return e.p, nil
	}
	gen := c.generation.Load()
	ch := c.fills.DoChan(fmt.Sprintf("%d/%s/%s", gen, userID, familyID), func() (any, error) {
		// Detached from the first request: every request waiting on this read shares it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), principalReadTimeout)
		defer cancel()
		started := c.now()
		p, err := c.read(ctx, userID, familyID)
		if err == nil {
			c.keep(key, cachedPrincipal{p: p, expires: started.Add(c.ttl)}, gen)
		}
		return p, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return store.Principal{}, r.Err
		}
		return r.Val.(store.Principal), nil
	case <-ctx.Done():
		return store.Principal{}, fmt.Errorf("read account %s: %w", userID, ctx.Err())
	}
}

// keep stores a read begun in generation gen, unless something was forgotten since.
func (c *principals) keep(key principalKey, e cachedPrincipal, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.generation.Load() == gen {
		c.cache.Add(key, e)
	}
}

// forgetUser drops every session of userID: for writes to the account itself (password, role,
// disabled). Called after the write, whether or not it reported success, since a failed commit
// may still have happened. Such writes are rare, so scanning the keys is cheap enough.
func (c *principals) forgetUser(userID string) {
	if c.cache == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation.Add(1)
	for _, k := range c.cache.Keys() {
		if k.user == userID {
			c.cache.Remove(k)
		}
	}
}

// forgetSession drops one session's entry: after a logout or a refused refresh ended it.
func (c *principals) forgetSession(userID, familyID string) {
	if c.cache == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation.Add(1)
	c.cache.Remove(principalKey{userID, familyID})
}

// forgetAll drops every entry: for a session end whose session could not be named (its lookup
// failed). Each active session then costs one read again, which is what every request cost
// without a cache.
func (c *principals) forgetAll() {
	if c.cache == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation.Add(1)
	c.cache.Purge()
}

// verifiedTokens remembers the access tokens whose signature this process has checked, with
// their claims. The same bytes verify the same way every time, and a signature check with its
// JSON decoding costs more than the rest of a cached request, so a token seen before is only
// checked for expiry. Whether it is still honoured (revocation, role) is the principal check's
// concern, which runs after this one either way. Tokens that fail are not remembered.
type verifiedTokens struct {
	tokens *auth.Tokens
	cache  *lru.Cache[string, auth.Claims]
}

// verifiedTokensSize bounds the tokens remembered (about half a kilobyte each); one forgotten
// costs a signature check, no I/O.
const verifiedTokensSize = 20_000

func newVerifiedTokens(tokens *auth.Tokens) *verifiedTokens {
	cache, _ := lru.New[string, auth.Claims](verifiedTokensSize) // errs only for a size <= 0
	return &verifiedTokens{tokens: tokens, cache: cache}
}

// verify returns the token's claims, as auth.Tokens.Verify does.
func (v *verifiedTokens) verify(token string) (auth.Claims, error) {
	now := time.Now
	if v.tokens.Now != nil {
		now = v.tokens.Now
	}
	// Strictly before expiry: the grace Verify allows past it is left to Verify to judge.
	if c, ok := v.cache.Get(token); ok && now().Before(c.ExpiresAt.Time) {
		return c, nil
	}
	c, err := v.tokens.Verify(token)
	if err != nil {
		return auth.Claims{}, err
	}
	v.cache.Add(token, c)
	return c, nil
}
