// Package kvprobe is a tiny handler that exposes a kv.KV and the worker's
// environment, for the test of worker/cfkv against `wrangler dev`'s local KV
// and of the vars worker/test/wranglertest hands it
// (wranglertest's TestProbeWorker, which serves it from probeworker). It is a
// test tool: it lets anyone read and write any key, so never serve it from a
// deployed worker.
//
//	PUT    /_probe/kv/{key}?metadata=JSON&ttl=SECONDS   body = value
//	GET    /_probe/kv/{key}   200 with the value, or 404
//	DELETE /_probe/kv/{key}   204
//	GET    /_probe/list?prefix=&cursor=&limit=
//	       {"keys":[{"name","metadata"}],"cursor","complete"}
//	GET    /_probe/env?name=A&name=B
//	       {"A":{"set":true,"sha256":"..."}}; values are hashed, never echoed
//
// A key is the rest of the path after /_probe/kv/, slashes included.
package kvprobe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/kv"
)

const kvPrefix = "/_probe/kv/"

// Handler serves the probe over store; getenv reads the worker's vars.
func Handler(store kv.KV, getenv func(string) string) httpx.Handler {
	return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
		path, q := r.URL.Path, r.URL.Query()
		key, isKey := strings.CutPrefix(path, kvPrefix)
		switch {
		case isKey && r.Method == "PUT":
			var body []byte
			var err error
			if r.Body != nil {
				body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20))
			}
			opts, secs := kv.PutOptions{}, 0
			if m := q.Get("metadata"); m != "" {
				opts.Metadata = []byte(m)
			}
			if t := q.Get("ttl"); t != "" && err == nil {
				secs, err = strconv.Atoi(t)
				opts.TTL = time.Duration(secs) * time.Second
			}
			if err == nil {
				err = store.Put(r.Context(), key, body, opts)
			}
			if err != nil {
				fail(w, 400, err)
				return
			}
			w.WriteHeader(204)
		case isKey && r.Method == httpx.MethodGet:
			v, found, err := store.Get(r.Context(), key)
			switch {
			case err != nil:
				fail(w, 500, err)
			case !found:
				fail(w, 404, errors.New("no such key"))
			default:
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(v)
			}
		case isKey && r.Method == httpx.MethodDelete:
			if err := store.Delete(r.Context(), key); err != nil {
				fail(w, 500, err)
				return
			}
			w.WriteHeader(204)
		case path == "/_probe/list" && r.Method == httpx.MethodGet:
			limit, _ := strconv.Atoi(q.Get("limit"))
			res, err := store.List(r.Context(), kv.ListOptions{Prefix: q.Get("prefix"), Cursor: q.Get("cursor"), Limit: limit})
			if err != nil {
				status := 500
				if errors.Is(err, kv.ErrBadCursor) {
					status = 400
				}
				fail(w, status, err)
				return
			}
			type key struct {
				Name     string          `json:"name"`
				Metadata json.RawMessage `json:"metadata,omitempty"`
			}
			out := struct {
				Keys     []key  `json:"keys"`
				Cursor   string `json:"cursor"`
				Complete bool   `json:"complete"`
			}{Keys: []key{}, Cursor: res.Cursor, Complete: res.Complete}
			for _, k := range res.Keys {
				out.Keys = append(out.Keys, key{Name: k.Name, Metadata: k.Metadata})
			}
			writeJSON(w, 200, out)
		case path == "/_probe/env" && r.Method == httpx.MethodGet:
			type entry struct {
				Set    bool   `json:"set"`
				SHA256 string `json:"sha256,omitempty"`
			}
			out := map[string]entry{}
			for _, name := range q["name"] {
				v := getenv(name)
				e := entry{Set: v != ""}
				if e.Set {
					sum := sha256.Sum256([]byte(v))
					e.SHA256 = hex.EncodeToString(sum[:])
				}
				out[name] = e
			}
			writeJSON(w, 200, out)
		default:
			fail(w, 404, errors.New("no such probe route"))
		}
	})
}

func fail(w httpx.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w httpx.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
