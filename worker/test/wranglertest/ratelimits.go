//go:build !js

package wranglertest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The worker counts its rate limits with Cloudflare's Rate Limiting bindings
// ([[ratelimits]] in wrangler.toml, see worker/cfratelimit), whose limit and
// period wrangler.toml fixes, not the RATE_LIMIT_* vars. So that a test that
// sets those vars gets a worker limited as they say, as a deployment whose
// wrangler.toml said so would be, Start rewrites the snapshot's bindings from
// them: RATE_LIMIT_<SCOPE>=N (N > 0) sets the limit of binding RL_<SCOPE>,
// RATE_LIMIT_WINDOW_SECONDS (10 or 60) the period of all of them. A var of
// 0 is left to the worker, which then never asks that binding.

// RateLimit is one [[ratelimits]] binding's simple = {limit, period}.
type RateLimit struct{ Limit, Period int }

// ratelimitBlock is one [[ratelimits]] table: its name and its simple line,
// the way wrangler.toml writes them.
var ratelimitBlock = regexp.MustCompile(`(?m)^\[\[ratelimits\]\]\s*\n(?:[^\[\n][^\n]*\n|\n)*?name\s*=\s*"([A-Z0-9_]+)"\s*\n(?:[^\[\n][^\n]*\n|\n)*?(simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\})`)

// RateLimits reads the [[ratelimits]] bindings of a wrangler.toml, by name.
func RateLimits(toml string) map[string]RateLimit {
	out := map[string]RateLimit{}
	for _, m := range ratelimitBlock.FindAllStringSubmatch(toml, -1) {
		limit, _ := strconv.Atoi(m[3])
		period, _ := strconv.Atoi(m[4])
		out[m[1]] = RateLimit{Limit: limit, Period: period}
	}
	return out
}

// applyRateLimits rewrites the bindings of the wrangler.toml at path from vars.
func applyRateLimits(path string, vars map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	period := 0
	if v, ok := vars["RATE_LIMIT_WINDOW_SECONDS"]; ok {
		if period, err = strconv.Atoi(v); err != nil || (period != 10 && period != 60) {
			return fmt.Errorf("wranglertest: RATE_LIMIT_WINDOW_SECONDS=%q: the Rate Limiting binding's period is 10 or 60", v)
		}
	}
	toml := string(b)
	out := ratelimitBlock.ReplaceAllStringFunc(toml, func(block string) string {
		m := ratelimitBlock.FindStringSubmatch(block)
		limit, _ := strconv.Atoi(m[3])
		p, _ := strconv.Atoi(m[4])
		if v, ok := vars["RATE_LIMIT_"+strings.TrimPrefix(m[1], "RL_")]; ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				limit = n
			}
		}
		if period != 0 {
			p = period
		}
		return strings.Replace(block, m[2], fmt.Sprintf("simple = { limit = %d, period = %d }", limit, p), 1)
	})
	if out == toml {
		return nil
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
