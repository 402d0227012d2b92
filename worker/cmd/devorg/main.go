// Command devorg is run by `make dev` next to `wrangler dev`: it waits until the
// worker answers, then asks the development-only GET /demo/config for the demo
// org (the worker creates it on first use and keeps it in the local KV under
// .wrangler/state, so every run shows the same one) and prints its widget token
// and api key, for curl and for the demo page. Development only: it needs
// DEMO_ROUTES=1, which .dev.vars.example sets.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// demoOrg is what GET /demo/config answers.
type demoOrg struct {
	OrgID          string   `json:"org_id"`
	WidgetToken    string   `json:"widget_token"`
	APIKey         string   `json:"api_key"`
	AllowedOrigins []string `json:"allowed_origins"`
}

func main() {
	port := flag.Int("port", envInt("PORT", 8787), "port of `wrangler dev` on 127.0.0.1")
	wait := flag.Duration("wait", 3*time.Minute, "how long to wait for the worker to answer")
	flag.Parse()
	base := "http://127.0.0.1:" + strconv.Itoa(*port)
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	d, err := fetch(ctx, base)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devorg: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(render(base, d))
}

// fetch polls GET /demo/config until the worker answers it: while it does
// not answer at all or answers 5xx.
func fetch(ctx context.Context, base string) (demoOrg, error) {
	c := contract.New(base, nil)
	c.HTTP = &http.Client{Timeout: 5 * time.Second}
	for {
		var d demoOrg
		res, err := c.Do(ctx, http.MethodGet, "/demo/config", nil)
		switch {
		case err != nil: // not up yet
		case res.Status == http.StatusNotFound:
			return d, errors.New("GET /demo/config: 404: set DEMO_ROUTES=1 in .dev.vars to get a demo org")
		case res.Status != http.StatusOK:
			err = fmt.Errorf("GET /demo/config: %d %s: %.300s", res.Status, http.StatusText(res.Status), res.Body)
			if res.Status < 500 {
				return d, err
			}
		case json.Unmarshal(res.Body, &d) != nil || d.WidgetToken == "":
			return d, fmt.Errorf("GET /demo/config: unexpected answer: %.300s", res.Body)
		default:
			return d, nil
		}
		select {
		case <-ctx.Done():
			return demoOrg{}, fmt.Errorf("the worker at %s did not answer in time: %v", base, err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func render(base string, d demoOrg) string {
	return fmt.Sprintf(`
================ demo org (development only) ================
  demo page:     %s/
  org id:        %s
  widget token:  %s
  api key:       %s
  allowed:       %s
===============================================================
`, base, d.OrgID, d.WidgetToken, d.APIKey, strings.Join(d.AllowedOrigins, " "))
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}
