package widget

import "sync"

// Storage is where the widget keeps its state between page loads:
// localStorage in the browser. Implementations must be safe for concurrent
// use; a Set that fails (storage full or disabled) is not reported, and the
// widget keeps working for the current page.
type Storage interface {
	Get(key string) (value string, ok bool)
	Set(key, value string)
	Remove(key string)
}

// KeyLister is a Storage that can list its keys (localStorage can), so that
// ForgetDevice finds every key of the widget.
type KeyLister interface {
	Keys() []string
}

// MemoryStorage is a Storage in memory, for tests and for browsers where
// localStorage is disabled.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{m: map[string]string{}} }

// Get implements Storage.
func (s *MemoryStorage) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

// Set implements Storage.
func (s *MemoryStorage) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
}

// Remove implements Storage.
func (s *MemoryStorage) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// Keys implements KeyLister.
func (s *MemoryStorage) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	return out
}

// The names of the widget's storage keys; StorageKey namespaces them by
// widget token.
const (
	keyDevice  = "device"
	keyContact = "contact"
	keyOutbox  = "outbox"
)

// StoragePrefix is the start of every storage key of the widget of an org.
func StoragePrefix(widgetToken string) string { return storageRoot + widgetToken + ":" }

// storageRoot starts every storage key of the widget, of every org.
const storageRoot = "chatwidget:"

// StorageKey is the storage key of one piece of the widget's state for an org.
func StorageKey(widgetToken, name string) string { return StoragePrefix(widgetToken) + name }
