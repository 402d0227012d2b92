// Package kv is the key-value store the product keeps all its state in: an
// interface shaped after Cloudflare Workers KV, and an in-memory implementation
// that enforces the same limits so that native tests fail where KV would.
//
// Workers KV is eventually consistent: a write is visible at once in the
// location that made it and up to about a minute later elsewhere, lists may lag
// behind gets, and one key takes about one write a second. Callers therefore
// give every new thing its own key and never read-modify-write a value shared
// between requests.
package kv

import (
	"context"
	"errors"
	"time"
)

// Limits of Workers KV that callers must respect.
const (
	MaxKeyBytes      = 512
	MaxMetadataBytes = 1024
	MaxValueBytes    = 25 << 20
	MinTTL           = 60 * time.Second
	MaxListLimit     = 1000
)

// Errors returned for calls that Workers KV would refuse.
var (
	ErrKeyTooLong       = errors.New("kv: key longer than 512 bytes")
	ErrEmptyKey         = errors.New("kv: empty key")
	ErrMetadataTooLarge = errors.New("kv: metadata larger than 1024 bytes")
	ErrValueTooLarge    = errors.New("kv: value larger than 25 MiB")
	ErrTTLTooShort      = errors.New("kv: expiration TTL shorter than 60 seconds")
	ErrBadCursor        = errors.New("kv: invalid list cursor")
)

// KV is the storage the product needs: four calls, each one KV operation.
type KV interface {
	// Get returns the value stored under key; found is false when there is none.
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	// Put stores value under key, replacing what was there, with optional
	// metadata (JSON, returned by List) and time to live.
	Put(ctx context.Context, key string, value []byte, opts PutOptions) error
	// List returns keys with the given prefix in byte order, a page at a time.
	List(ctx context.Context, opts ListOptions) (ListResult, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// MaxGetMany is how many keys one GetMany reads: Workers KV's bulk read.
const MaxGetMany = 100

// ManyGetter is a KV that reads up to MaxGetMany keys in one operation, as
// Workers KV's bulk read does (env.KV.get([...keys]): one of the 1,000
// operations an invocation may make, where a Get each would be as many).
// The values must be UTF-8 text, such as the JSON records callers store: a
// bulk read hands them back as text. A key with no value is absent from
// the map.
type ManyGetter interface {
	GetMany(ctx context.Context, keys []string) (map[string][]byte, error)
}

// ErrTooManyKeys is returned for a GetMany of more than MaxGetMany keys.
var ErrTooManyKeys = errors.New("kv: a bulk read of more than 100 keys")

// CheckGetMany returns the error Workers KV would give a bulk read of keys.
func CheckGetMany(keys []string) error {
	if len(keys) > MaxGetMany {
		return ErrTooManyKeys
	}
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
	}
	return nil
}

// PutOptions are the optional parts of a Put.
type PutOptions struct {
	// Metadata is a JSON document of at most MaxMetadataBytes, returned with the
	// key by List, so that a listing needs no Get per key.
	Metadata []byte
	// TTL, when not zero, makes the key expire; at least MinTTL.
	TTL time.Duration
}

// ListOptions select a page of keys.
type ListOptions struct {
	Prefix string
	// Cursor continues a listing where the previous page ended.
	Cursor string
	// Limit is the page size, 1 to MaxListLimit; 0 means MaxListLimit.
	Limit int
}

// ListResult is one page of keys.
type ListResult struct {
	Keys []ListKey
	// Cursor is set when Complete is false: pass it to get the next page.
	Cursor   string
	Complete bool
}

// ListKey is a key and the metadata stored with it.
type ListKey struct {
	Name     string
	Metadata []byte
}

// CheckPut validates a Put against the limits of Workers KV.
func CheckPut(key string, value []byte, opts PutOptions) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueBytes {
		return ErrValueTooLarge
	}
	if len(opts.Metadata) > MaxMetadataBytes {
		return ErrMetadataTooLarge
	}
	if opts.TTL != 0 && opts.TTL < MinTTL {
		return ErrTTLTooShort
	}
	return nil
}

// CheckKey validates a key against the limits of Workers KV.
func CheckKey(key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	if len(key) > MaxKeyBytes {
		return ErrKeyTooLong
	}
	return nil
}
