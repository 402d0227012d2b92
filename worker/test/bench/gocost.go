//go:build !js

package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// GoCost is the output of worker/test/bench/gocost run as wasm under Node: the Go
// worker's own work per request in V8, without workerd, I/O or the machine's
// wrangler around it. Values are ns per request, by benchmark name
// ("Route/authenticate", "Stack/authenticate", "Token/verify", "Await").
type GoCost struct {
	NsPerOp map[string]float64
	Command string
}

// runGoCost runs the gocost benchmarks as js/wasm (Go's wasm_exec_node under
// Node), iterations times each.
func runGoCost(ctx context.Context, root string, iterations int) (*GoCost, error) {
	gorootOut, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	wasmDir := filepath.Join(strings.TrimSpace(string(gorootOut)), "lib", "wasm")
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", strconv.Itoa(iterations) + "x", "./worker/test/bench/gocost"}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "PATH="+wasmDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("GOOS=js GOARCH=wasm go %s: %w\n%s", strings.Join(args, " "), err, truncate(out.Bytes(), 2000))
	}
	gc := &GoCost{NsPerOp: map[string]float64{}, Command: "GOOS=js GOARCH=wasm go " + strings.Join(args, " ")}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 && strings.Trim(name[i+1:], "0123456789") == "" {
			name = name[:i] // a GOMAXPROCS suffix
		}
		gc.NsPerOp[name] = v
	}
	if len(gc.NsPerOp) == 0 {
		return nil, fmt.Errorf("no benchmark results in:\n%s", truncate(out.Bytes(), 2000))
	}
	return gc, nil
}
