package attack

import (
	"io/fs"
	"maps"
	"path/filepath"
	"sync"
)

// PersistSnapshot returns a Target.Snapshot for a worker run by `wrangler
// dev --persist-to dir`: every value blob of its local KV that it has seen
// (dir/v3/kv/<namespace>/blobs). Miniflare writes each KV put, an empty value
// or an overwrite of the same key included, to a new blob file before the
// worker answers, and a read writes none; so a put shows as a blob the
// snapshot had not seen.
//
// The snapshot remembers the blobs it saw and never forgets one: miniflare
// deletes the blobs of expired keys by itself, which is no write of the request, and a deletion by a
// request is left to the runner's observation through the API. SQLite's
// files are not looked at: expiry rewrites them too.
//
// A blob directory that cannot be read is reported as an entry of its own,
// so a case never passes on a snapshot that saw nothing.
func PersistSnapshot(dir string) func() map[string]string {
	var mu sync.Mutex
	seen := map[string]string{}
	return func() map[string]string {
		mu.Lock()
		defer mu.Unlock()
		root := filepath.Join(dir, "v3", "kv")
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && filepath.Base(filepath.Dir(path)) == "blobs" {
				rel, _ := filepath.Rel(dir, path)
				seen[filepath.ToSlash(rel)] = ""
			}
			return nil
		})
		out := maps.Clone(seen)
		if err != nil {
			out["(unreadable) "+root] = err.Error()
		}
		return out
	}
}
