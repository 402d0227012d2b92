//go:build !js

package bench

import (
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
	File              string // relative to the repo root
	Goal              string // what the goal bounds, "" for none
	Raw, Gzip, Brotli int64
	Limit             int64 // gzip goal in bytes, 0 for none
	Err               string
}

// Size goals, gzip bytes (decimal units: 1 MB = 1,000,000 bytes), as
// `make size` checks them (issue 18).
const (
	WorkerGzipGoal = 500_000
	CoreGzipGoal   = 250_000
)

// brotliJS is `make size`'s brotli: Node's zlib at quality 11.
const brotliJS = `const z=require("zlib"),fs=require("fs");process.stdout.write(String(z.brotliCompressSync(fs.readFileSync(process.argv[1]),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))`

// Sizes measures the files `make size` lists, with the commands it runs:
// `wc -c`, `gzip -9 -c FILE | wc -c` and Node's zlib.
func Sizes(root string) []Size {
	var out []Size
	for _, s := range []Size{
		{File: "build/app.wasm", Goal: "worker ≤ 500 KB gzip (issue 18)", Limit: WorkerGzipGoal},
		{File: "build/public/widget.js", Goal: "widget.js ≤ 5 KB gzip (issue 3)", Limit: 5_000},
		{File: "build/public/widget-core.wasm", Goal: "core ≤ 250 KB gzip (issue 18)", Limit: CoreGzipGoal},
	} {
		b, err := os.ReadFile(filepath.Join(root, s.File))
		if err != nil {
			s.Err = "missing (run `make build`)"
		} else if s.Gzip, err = outputSize(root, "gzip", "-9", "-c", s.File); err != nil {
			s.Err = "gzip: " + err.Error()
		} else if s.Brotli, err = outputSize(root, "node", "-e", brotliJS, s.File); err != nil {
			s.Err = "node: " + err.Error()
		}
		s.Raw = int64(len(b))
		out = append(out, s)
	}
	return out
}

// outputSize runs a command in dir: the length of its output, or for node
// the number it prints.
func outputSize(dir, name string, args ...string) (int64, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || name != "node" {
		return int64(len(out)), err
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
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
