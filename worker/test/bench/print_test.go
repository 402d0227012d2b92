//go:build !js

package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from Print")

// TestPrint prints a recorded report (testdata/report.json: a run of
// TestBenchBothWorkersAnswerAlike with an error, a missing CPU figure, sizes
// and browser timings added) and the same report with only the load table,
// and compares them with testdata/*.golden: every row, column and unit of
// `make bench`'s report, as reviewed.
func TestPrint(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var full Report
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatal(err)
	}
	bare := full
	bare.Memory, bare.Isolate, bare.Profiles, bare.Sizes, bare.Browser, bare.Problems, bare.Cold = nil, nil, nil, nil, nil, nil, nil
	bare.Routes = append([]RouteResult(nil), full.Routes...)
	for i := range bare.Routes {
		bare.Routes[i].Single, bare.Routes[i].Warm, bare.Routes[i].RoundRatios = [2]Stats{}, [2]Stats{}, nil
		bare.Routes[i].Load[1].CPUN, bare.Routes[i].Load[1].IsolateN = 0, 0
	}
	for name, r := range map[string]*Report{"full": &full, "bare": &bare} {
		var got bytes.Buffer
		Print(&got, r)
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("Print of the %s report differs from %s (go test -run TestPrint -update rewrites it):\n%s", name, golden, got.String())
		}
	}
}
