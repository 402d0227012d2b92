//go:build !js

package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Size is one shipped file, as `make size` reports it: raw, gzip -9 and
// brotli (quality 11).
type Size struct {
	File   string // relative to the repo root
	Goal   string // what the goal bounds, "" for none
	Raw    int64
	Gzip   int64
	Brotli int64  // -1 when no brotli encoder was found
	How    string // which brotli encoder
	Limit  int64  // gzip goal in bytes, 0 for none
	Err    string
}

// Size goals, gzip bytes (decimal units: 1 MB = 1,000,000 bytes), as
// `make size` checks them (issue 18).
const (
	WorkerGzipGoal = 500_000
	CoreGzipGoal   = 250_000
)

// Sizes measures the files `make size` lists.
func Sizes(root string) []Size {
	var out []Size
	for _, s := range []Size{
		{File: "build/app.wasm", Goal: "worker ≤ 500 KB gzip (issue 18)", Limit: WorkerGzipGoal},
		{File: "build/public/widget.js", Goal: "widget.js ≤ 5 KB gzip (issue 3)", Limit: 5_000},
		{File: "build/public/widget-core.wasm", Goal: "core ≤ 250 KB gzip (issue 18)", Limit: CoreGzipGoal},
	} {
		if b, err := os.ReadFile(filepath.Join(root, s.File)); err != nil {
			s.Err, s.Brotli = "missing (run `make build`)", -1
		} else {
			s.Raw, s.Gzip = int64(len(b)), gzipSize(root, s.File, b)
			s.Brotli, s.How = brotliSize(s.File, root)
		}
		out = append(out, s)
	}
	return out
}

// gzipSize is `gzip -9 -c FILE | wc -c` when gzip is installed (what `make
// size` runs; the header holds the file's name), else compress/gzip at its
// best compression.
func gzipSize(gzipDir, path string, b []byte) int64 {
	if p, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(p, "-9", "-c", path)
		cmd.Dir = gzipDir
		if out, err := cmd.Output(); err == nil {
			return int64(len(out))
		}
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return int64(buf.Len())
}

// brotliSize compresses with quality 11 as `make size` does (Node's zlib,
// which every machine of this project has for wrangler), else with the
// brotli command.
func brotliSize(path, root string) (int64, string) {
	if p, err := exec.LookPath("node"); err == nil {
		cmd := exec.Command(p, "-e", `const z=require("zlib"),fs=require("fs");process.stdout.write(String(z.brotliCompressSync(fs.readFileSync(process.argv[1]),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))`, path)
		cmd.Dir = root
		if out, err := cmd.Output(); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
				return n, "node zlib"
			}
		}
	}
	if p, err := exec.LookPath("brotli"); err == nil {
		if out, err := exec.Command(p, "-q", "11", "-c", path).Output(); err == nil {
			return int64(len(out)), "brotli -q 11"
		}
	}
	return -1, ""
}

// servedEncoding asks url for gzip and brotli and reports the
// Content-Encoding it answers with ("" for none): does the server compress
// what the browser downloads?
func servedEncoding(url string) string {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("Content-Encoding")
}
