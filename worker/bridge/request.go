package bridge

// The part of the bridge that is plain Go: reading worker.mjs's request head
// into a request, and writing the answer's header back. It builds natively
// too, so FuzzRequest drives the API through exactly the request the worker
// builds.

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/chatwidget/identity/internal/httpx"
)

// MaxBodyBytes is how much of a request body the bridge reads; a handler
// that refuses larger bodies sees one byte more than it accepts.
const MaxBodyBytes = 1 << 20

// parseHead reads worker.mjs's request head: "METHOD URL\n", then
// "name: value\n" per header.
func parseHead(head string) (method, rawURL string, header httpx.Header, err error) {
	first, rest, _ := strings.Cut(head, "\n")
	method, rawURL, ok := strings.Cut(first, " ")
	if !ok {
		return "", "", nil, fmt.Errorf("bridge: request head %q", first)
	}
	header = httpx.Header{}
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if name, value, ok := strings.Cut(line, ": "); ok {
			header.Add(name, value)
		} else if name, ok := strings.CutSuffix(line, ":"); ok {
			header.Add(name, "")
		}
	}
	return method, rawURL, header, nil
}

// newRequest makes the request the handler serves. It never fails: a URL
// that net/url cannot parse reaches the handler raw, and the handler answers
// it (see httpx.NewRequest), rather than the bridge answering 500.
func newRequest(ctx context.Context, method, rawURL string, header httpx.Header, body []byte) *httpx.Request {
	r := httpx.NewRequest(ctx, method, rawURL, bytes.NewReader(body))
	r.Header = header
	switch cl, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); {
	case (method == httpx.MethodGet || method == httpx.MethodHead) && err == nil && cl > 0:
		// Not read, but its declared size is still refused over the API's limit.
		r.ContentLength = cl
	case len(body) <= MaxBodyBytes:
		r.ContentLength = int64(len(body)) // read whole
	case err == nil:
		r.ContentLength = cl
	default:
		r.ContentLength = -1
	}
	r.RemoteAddr = header.Get("Cf-Connecting-Ip")
	return r
}

// recorder buffers a handler's answer and turns it into its JS form.
type recorder struct{ httpx.Recorder }

func newRecorder() *recorder { return &recorder{*httpx.NewRecorder()} }

// headerLines is the header as "name: value\n" lines; ok is false when a
// name or value could not be written so (a newline, or a colon in a name).
func (w *recorder) headerLines() (lines string, ok bool) {
	w.Status = w.StatusOrOK()
	var sb strings.Builder
	for k, vs := range w.HeaderMap {
		if k == "" || strings.ContainsAny(k, ":\r\n") {
			return "", false
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return "", false
			}
			sb.WriteString(k)
			sb.WriteString(": ")
			sb.WriteString(v)
			sb.WriteByte('\n')
		}
	}
	return sb.String(), true
}
