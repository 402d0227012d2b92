package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/google/uuid"
)

// Store is the product's storage over a KV. It holds no per-request state and
// is safe for concurrent use.
type Store struct {
	kv  kv.KV
	now func() time.Time
	// idMu guards lastV7 so that ids made by one instance are strictly increasing.
	idMu   sync.Mutex
	lastV7 string
	// orgs holds the orgs read by their widget token (see OrgByWidgetToken).
	orgs orgCache
	// readMsgs and readBytes, when not 0, bound one read of messages
	// (WithReadLimits).
	readMsgs, readBytes int
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns a Store over kv.
//
// Every call of k goes through storageKV, so that every storage failure is
// identity.ErrUnavailable (503 unavailable), also from code that forgets to
// wrap one.
func New(k kv.KV, opts ...Option) *Store {
	s := &Store{kv: storageKV{k}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Now returns the store's clock reading in UTC, truncated to milliseconds.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// hashKey returns the unpadded base64url SHA-256 of parts joined by NUL.
func hashKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// HashSecret returns the stored form of an api key secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return fmt.Sprintf("%x", sum)
}

// newV7 returns a fresh time-ordered id, greater than every id this store
// made before and than after (when not empty).
func (s *Store) newV7(after string) string {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	id := uuid.Must(uuid.NewV7()).String()
	floor := max(s.lastV7, after)
	if id <= floor {
		id = nextID(floor)
	}
	s.lastV7 = id
	return id
}

// nextID returns the smallest hex UUID string greater than id, keeping the
// version and variant nibbles.
func nextID(id string) string {
	b := []byte(id)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '-' || i == 14 || i == 19 {
			continue
		}
		if b[i] == 'f' {
			b[i] = '0'
			continue
		}
		if b[i] == '9' {
			b[i] = 'a'
		} else {
			b[i]++
		}
		return string(b)
	}
	return id
}

// invert maps each hex digit d of id to f-d, so that ascending key order of
// inverted time-ordered ids is newest first.
func invert(id string) string {
	b := []byte(id)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = "fedcba9876"[c-'0']
		case c >= 'a' && c <= 'f':
			b[i] = "543210"[c-'a']
		}
	}
	return string(b)
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("store: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// getJSON reads key into v; found is false when there is none.
func (s *Store) getJSON(ctx context.Context, key string, v any) (bool, error) {
	return s.getDecoded(ctx, key, func(b []byte) error { return unmarshal(b, v) })
}

// unmarshal is json.Unmarshal for the records the store reads, but that a
// number in custom data (any value behind an interface) stays the
// json.Number it was written as: through float64, 12345678901234567890
// came back as 12345678901234567000, another number than the one the first
// answer showed (which ParseCustomData keeps exactly).
func unmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.InputOffset() != int64(len(bytes.TrimRight(b, " \t\r\n"))) {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("store: data after a record's JSON value")

// getDecoded is getJSON with a decoder of its own.
func (s *Store) getDecoded(ctx context.Context, key string, decode func([]byte) error) (bool, error) {
	b, found, err := s.kv.Get(ctx, key)
	if err != nil {
		return false, unavailable(err)
	}
	if !found {
		return false, nil
	}
	if err := decodeAt(key, b, decode); err != nil {
		return false, err
	}
	return true, nil
}

// decodeAt decodes b, the value at key.
func decodeAt(key string, b []byte, decode func([]byte) error) error {
	if err := decode(b); err != nil {
		return fmt.Errorf("store: corrupt value at %s: %w", key, err)
	}
	return nil
}

// putJSON writes v under key with optional metadata.
func (s *Store) putJSON(ctx context.Context, key string, v any, opts kv.PutOptions) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.put(ctx, key, b, opts)
}

// put writes b under key with optional metadata.
func (s *Store) put(ctx context.Context, key string, b []byte, opts kv.PutOptions) error {
	if err := s.kv.Put(ctx, key, b, opts); err != nil {
		return unavailable(err)
	}
	return nil
}

// unavailable wraps a KV failure; the API answers it with 503. A KV call cut
// short by its context (a deadline of the platform's, the client gone) is a
// storage failure too; errors.Is still finds the context's error in it.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var se *storageError
	if errors.As(err, &se) {
		return err
	}
	return &storageError{err}
}

// storageKV makes every error of its KV a storage failure.
type storageKV struct{ k kv.KV }

func (s storageKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, found, err := s.k.Get(ctx, key)
	return v, found, unavailable(err)
}

func (s storageKV) Put(ctx context.Context, key string, value []byte, opts kv.PutOptions) error {
	return unavailable(s.k.Put(ctx, key, value, opts))
}

func (s storageKV) List(ctx context.Context, opts kv.ListOptions) (kv.ListResult, error) {
	res, err := s.k.List(ctx, opts)
	return res, unavailable(err)
}

func (s storageKV) Delete(ctx context.Context, key string) error {
	return unavailable(s.k.Delete(ctx, key))
}

// GetMany implements kv.ManyGetter, through its KV's bulk read when it has
// one (see getMany).
func (s storageKV) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	values, err := getMany(ctx, s.k, keys)
	return values, unavailable(err)
}

// getMany reads keys (at most kv.MaxGetMany) in one operation when k is a
// kv.ManyGetter, else with a Get each, at once.
func getMany(ctx context.Context, k kv.KV, keys []string) (map[string][]byte, error) {
	if mg, ok := k.(kv.ManyGetter); ok {
		return mg.GetMany(ctx, keys)
	}
	if err := kv.CheckGetMany(keys); err != nil {
		return nil, err
	}
	values := make([][]byte, len(keys))
	found := make([]bool, len(keys))
	fns := make([]func() error, len(keys))
	for i, key := range keys {
		fns[i] = func() (err error) {
			values[i], found[i], err = k.Get(ctx, key)
			return err
		}
	}
	if err := conc.All(fns...); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for i, key := range keys {
		if found[i] {
			out[key] = values[i]
		}
	}
	return out, nil
}

type storageError struct{ err error }

func (e *storageError) Error() string        { return "store: kv: " + e.err.Error() }
func (e *storageError) Unwrap() error        { return e.err }
func (e *storageError) Is(target error) bool { return target == identity.ErrUnavailable }

// metadataFor returns v as KV metadata, nil when it does not fit.
func metadataFor(v any) []byte {
	if b, err := json.Marshal(v); err == nil && len(b) <= kv.MaxMetadataBytes {
		return b
	}
	return nil
}
