package attack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Case is one attack: a request built from the fixture and the answer that
// refuses it.
type Case struct {
	Class string // groups cases for the figures, e.g. "alg-none"
	Name  string // what the case sends, e.g. "alg none, no signature: GET /v1/widget/me"
	// NeedsKey: the request is signed with the worker's own key
	// (Target.SigningKeys); without it the case is skipped.
	NeedsKey bool
	Req      func(f *Fixture) Request
	Want     Want // the refusal
}

// Want is what a case must get back.
type Want struct {
	// Status and Code are the exact status and error code ("" for a 2xx or a
	// 204 without body).
	Status int
	Code   string
	// Platform: the platform in front of the worker (wrangler dev, Cloudflare)
	// may refuse the request itself, with 400, 413 or 431 or by closing the
	// connection, before the worker sees it. That counts as refused when
	// nothing changed; the worker's own checks do not apply then.
	Platform bool
	NoACAO   bool // the answer has no Access-Control-Allow-Origin (nor -Credentials)
	NoCORS   bool // the answer has no Access-Control-* header at all
	// Check makes further checks of an answer with the right status (for
	// example that a listing shows only the caller's sessions); it returns
	// what is wrong.
	Check func(f *Fixture, r *Response) []string
}

// Result is the outcome of one case.
type Result struct {
	Class, Name string
	Skipped     string // why the case was not tried ("" when it was)
	Got         string // the status and code received
	ByPlatform  bool   // refused by the platform in front of the worker
	Problems    []string
}

// Refused reports whether the case was tried and refused exactly as expected
// with nothing changed.
func (r Result) Refused() bool { return r.Skipped == "" && len(r.Problems) == 0 }

// Report is the outcome of a run.
type Report struct {
	Results  []Result
	Duration time.Duration
}

// Failures returns the cases that were tried and not refused as expected.
func (r *Report) Failures() []Result {
	return slices.DeleteFunc(slices.Clone(r.Results), func(res Result) bool { return res.Skipped != "" || res.Refused() })
}

// OK reports whether every case tried was refused as expected.
func (r *Report) OK() bool { return len(r.Failures()) == 0 }

// WriteTable writes one line per class, "class  tried N  refused N", in
// the order of the case table (where each class is one run of cases), and
// a total line.
func (r *Report) WriteTable(w io.Writer) {
	type count struct {
		class                 string
		tried, refused, skips int
	}
	total := count{class: "total"}
	var counts []count
	width := len(total.class)
	for _, res := range r.Results {
		if len(counts) == 0 || counts[len(counts)-1].class != res.Class {
			counts = append(counts, count{class: res.Class})
			width = max(width, len(res.Class))
		}
		for _, c := range []*count{&counts[len(counts)-1], &total} {
			switch {
			case res.Skipped != "":
				c.skips++
			case res.Refused():
				c.tried++
				c.refused++
			default:
				c.tried++
			}
		}
	}
	for _, c := range append(counts, total) {
		fmt.Fprintf(w, "%-*s  tried %4d  refused %4d", width, c.class, c.tried, c.refused)
		if c.skips > 0 {
			fmt.Fprintf(w, "  (skipped %d)", c.skips)
		}
		fmt.Fprintln(w)
	}
}

// WriteFailures writes each case not refused as expected with what was wrong.
func (r *Report) WriteFailures(w io.Writer) {
	for _, res := range r.Failures() {
		fmt.Fprintf(w, "NOT REFUSED  %s / %s: got %s\n", res.Class, res.Name, res.Got)
		for _, p := range res.Problems {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
}

type runner struct {
	t Target
	c *contract.Client
	f *Fixture
}

// Run builds the fixture on the target and runs cases (all of Cases() when
// nil) in order. The error is for a run that could not start (the target is
// unreachable, the admin token is wrong); each case's outcome is in the
// report.
func Run(ctx context.Context, t Target, cases []Case) (*Report, error) {
	began := time.Now()
	if t.URL == "" {
		return nil, errors.New("attack: Target.URL is empty")
	}
	if cases == nil {
		cases = Cases()
	}
	r := &runner{t: t, c: contract.Validated(t.URL)}
	r.c.HTTP = t.Client
	preSetup := r.observeStore()
	f, err := setup(ctx, r.c, t)
	if err != nil {
		return nil, fmt.Errorf("attack: building the fixture: %w", err)
	}
	r.f = f
	rep := &Report{}
	apiEveryCase := t.Snapshot == nil || t.ObserveAPIEveryCase
	apiBefore, storeBefore := r.observeAPI(ctx), r.observeStore()
	if t.Snapshot != nil && len(diff(preSetup, storeBefore, 1)) == 0 {
		return nil, errors.New("attack: Target.Snapshot saw none of the fixture's writes: it cannot show that a case changed nothing")
	}
	classStart := 0 // index in rep.Results of the first case of the current class
	for i, c := range cases {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if i > 0 && c.Class != cases[i-1].Class {
			classStart = len(rep.Results)
		}
		res := Result{Class: c.Class, Name: c.Name}
		if c.NeedsKey && !f.HasKey() {
			res.Skipped = "needs Target.SigningKeys"
		} else {
			req := c.Req(f)
			resp, err := r.send(ctx, req)
			res.Got = describe(resp, err)
			res.ByPlatform, res.Problems = r.judge(c, req, resp, err)
			if err == nil && resp.AnswerErr != nil && !res.ByPlatform {
				res.Problems = append(res.Problems, "the answer drifts from the OpenAPI document: "+resp.AnswerErr.Error())
			}
			storeAfter := r.observeStore()
			changed := diff(storeBefore, storeAfter, 8)
			storeBefore = storeAfter
			if apiEveryCase || len(changed) > 0 {
				apiAfter := r.observeAPI(ctx)
				changed = append(diff(apiBefore, apiAfter, 8), changed...)
				apiBefore = apiAfter
			}
			if len(changed) > 0 {
				res.Problems = append(res.Problems, "stored state changed: "+strings.Join(changed, ", "))
			}
			for j, p := range res.Problems {
				res.Problems[j] = redact(p, append(f.secrets(), credentials(req)...))
			}
		}
		rep.Results = append(rep.Results, res)
		if lastOfClass := i == len(cases)-1 || cases[i+1].Class != c.Class; lastOfClass && !apiEveryCase {
			// The store's snapshot saw no change in any case of the class
			// (or the change was reported): the API must agree.
			apiAfter := r.observeAPI(ctx)
			if changed := diff(apiBefore, apiAfter, 8); len(changed) > 0 {
				for j := classStart; j < len(rep.Results); j++ {
					if rep.Results[j].Skipped == "" {
						rep.Results[j].Problems = append(rep.Results[j].Problems,
							"stored state seen through the API changed during this class, the store's snapshot did not: "+strings.Join(changed, ", "))
					}
				}
			}
			apiBefore = apiAfter
		}
		if t.Log != nil {
			verdict, by := "refused", ""
			switch {
			case res.Skipped != "":
				verdict = "skipped"
			case !res.Refused():
				verdict = "NOT REFUSED"
			case res.ByPlatform:
				by = " (by the platform, before the worker)"
			}
			fmt.Fprintf(t.Log, "%-11s %s / %s: %s%s\n", verdict, c.Class, c.Name, res.Got, by)
		}
	}
	rep.Duration = time.Since(began)
	return rep, nil
}

// credentials returns the credentials a request carries.
func credentials(req Request) []string {
	var out []string
	for _, name := range []string{"Authorization", "X-Widget-Token"} {
		for _, v := range req.Header.Values(name) {
			out = append(out, v)
			if _, cred, ok := strings.Cut(v, " "); ok {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	return out
}

// forbidden returns the strings no answer to req may contain: the request's
// credentials, every secret of the fixture, the signature of any JWT sent,
// and what the case lists.
func (r *runner) forbidden(req Request) []string {
	var out []string
	add := func(s string, min int) {
		if len(s) >= min {
			out = append(out, s)
		}
	}
	for _, s := range append(credentials(req), r.f.secrets()...) {
		add(s, 8)
		if _, _, sig := jwtParts(s); sig != "" {
			// The signature is what makes a token; its header segment is
			// the same in every token the worker issues.
			add(sig, 24)
		}
	}
	for _, s := range req.Echo {
		add(s, 4)
	}
	return out
}

// judge checks an answer against the case; byPlatform is true when the
// platform refused it as the case allows.
func (r *runner) judge(c Case, req Request, resp *Response, err error) (byPlatform bool, problems []string) {
	w := c.Want
	if err != nil {
		if w.Platform {
			return true, nil
		}
		return false, []string{"no answer: " + err.Error()}
	}
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Never: a 5xx, or a credential in the answer.
	if resp.Status >= 500 {
		bad("status %d: no request may get a 5xx", resp.Status)
	}
	forbidden := r.forbidden(req)
	inBody := func(s string) bool { return bytes.Contains(resp.Body, []byte(s)) }
	if i := slices.IndexFunc(forbidden, inBody); i >= 0 {
		bad("the answer body contains a credential or input that was sent (%d characters)", len(forbidden[i]))
	}
	for name, vs := range resp.Header {
		v := strings.Join(vs, "\n")
		if slices.ContainsFunc(forbidden, func(s string) bool { return strings.Contains(v, s) }) {
			bad("header %s contains a credential or input that was sent", name)
		}
	}

	if w.Platform && resp.Status != w.Status && isPlatformRefusal(resp) {
		return true, problems
	}
	if resp.Status != w.Status || code(resp) != w.Code {
		bad("want %s", strings.TrimSpace(fmt.Sprint(w.Status, " ", w.Code)))
	}
	if resp.Status >= 400 { // the contract's error shape
		problems = append(problems, contract.ErrorProblems(resp)...)
	}
	problems = append(problems, checkSecurityHeaders(req, resp)...)
	for name, v := range resp.Header {
		switch {
		case name == "Access-Control-Allow-Origin" || name == "Access-Control-Allow-Credentials":
			if w.NoACAO || w.NoCORS {
				bad("%s: %q on a refused origin", name, strings.Join(v, ", "))
			}
		case w.NoCORS && strings.HasPrefix(strings.ToLower(name), "access-control-"):
			bad("server-only route sent %s", name)
		}
	}
	if w.Check != nil && resp.Status == w.Status {
		problems = append(problems, w.Check(r.f, resp)...)
	}
	return false, problems
}

// isPlatformRefusal: an answer that did not come from the worker's API (not
// its JSON error shape) with a status a proxy uses for a request too large.
func isPlatformRefusal(resp *Response) bool {
	switch resp.Status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		return code(resp) == ""
	}
	return false
}

// checkSecurityHeaders: what the worker's API answers always carries.
func checkSecurityHeaders(req Request, resp *Response) []string {
	var p []string
	h := resp.Header
	if v := h.Get("X-Content-Type-Options"); !strings.EqualFold(v, "nosniff") {
		p = append(p, fmt.Sprintf("X-Content-Type-Options %q, want nosniff", v))
	}
	if v := h.Get("X-Frame-Options"); !strings.EqualFold(v, "DENY") {
		p = append(p, fmt.Sprintf("X-Frame-Options %q, want DENY", v))
	}
	if v := h.Get("Content-Security-Policy"); !strings.Contains(v, "frame-ancestors 'none'") || !strings.Contains(v, "default-src 'none'") {
		p = append(p, fmt.Sprintf("Content-Security-Policy %q, want default-src 'none' and frame-ancestors 'none'", v))
	}
	if h.Get("Referrer-Policy") == "" {
		p = append(p, "no Referrer-Policy")
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "application/json" && req.Path != "/.well-known/jwks.json" && !strings.Contains(h.Get("Cache-Control"), "no-store") {
		p = append(p, fmt.Sprintf("JSON answer with Cache-Control %q, want no-store", h.Get("Cache-Control")))
	}
	return p
}
