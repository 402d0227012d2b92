//go:build js && wasm

// Package cfkvprobe is a tiny HTTP handler that exposes a kv.KV and the
// worker's environment for the end-to-end test of cfkv against `wrangler dev`
// (worker/test/wranglertest) and for trying a worker by hand. It is a test tool:
// it lets anyone read and write any key, so never serve it from a deployed
// worker.
//
//	PUT    /_probe/kv/{key}?metadata=JSON&ttl=SECONDS   body = value
//	GET    /_probe/kv/{key}   200 with the value, or 404
//	DELETE /_probe/kv/{key}   204
//	GET    /_probe/list?prefix=&cursor=&limit=
//	       {"keys":[{"name","metadata"}],"cursor","complete"}
//	GET    /_probe/late-kv/{key}?flush=1   writes "start\n", then reads KV
//	GET    /_probe/env?name=A&name=B
//	       {"A":{"set":true,"sha256":"..."}}; values are hashed, never echoed
package cfkvprobe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

// Handler serves the probe over store; getenv reads the worker's vars
// (cloudflare.Getenv in a worker).
func Handler(store kv.KV, getenv func(string) string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /_probe/kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		opts := kv.PutOptions{}
		q := r.URL.Query()
		if m := q.Get("metadata"); m != "" {
			opts.Metadata = []byte(m)
		}
		if t := q.Get("ttl"); t != "" {
			secs, err := strconv.Atoi(t)
			if err != nil {
				fail(w, http.StatusBadRequest, err)
				return
			}
			opts.TTL = time.Duration(secs) * time.Second
		}
		if err := store.Put(r.Context(), r.PathValue("key"), body, opts); err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_probe/kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		v, found, err := store.Get(r.Context(), r.PathValue("key"))
		if err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		if !found {
			fail(w, http.StatusNotFound, errors.New("no such key"))
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		// Never Write an empty slice: syumai/workers v0.32.0 then leaves the
		// response stream pending and workerd cancels the request as hung.
		if len(v) > 0 {
			w.Write(v)
		}
	})
	mux.HandleFunc("DELETE /_probe/kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Delete(r.Context(), r.PathValue("key")); err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_probe/list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		res, err := store.List(r.Context(), kv.ListOptions{Prefix: q.Get("prefix"), Cursor: q.Get("cursor"), Limit: limit})
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, kv.ErrBadCursor) {
				status = http.StatusBadRequest
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
		writeJSON(w, http.StatusOK, out)
	})
	// Writes part of the response before it reads KV: shows whether a
	// handler may stream its answer while it still awaits KV.
	mux.HandleFunc("GET /_probe/late-kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "start\n")
		if f, ok := w.(http.Flusher); ok && r.URL.Query().Get("flush") == "1" {
			f.Flush()
		}
		v, found, err := store.Get(r.Context(), r.PathValue("key"))
		fmt.Fprintf(w, "found=%v err=%v value=%s\n", found, err, v)
	})
	mux.HandleFunc("GET /_probe/env", func(w http.ResponseWriter, r *http.Request) {
		type entry struct {
			Set    bool   `json:"set"`
			SHA256 string `json:"sha256,omitempty"`
		}
		out := map[string]entry{}
		for _, name := range r.URL.Query()["name"] {
			v := getenv(name)
			e := entry{Set: v != ""}
			if e.Set {
				sum := sha256.Sum256([]byte(v))
				e.SHA256 = hex.EncodeToString(sum[:])
			}
			out[name] = e
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

func fail(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
