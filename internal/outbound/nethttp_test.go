package outbound_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/outbound"
)

func TestNetHTTP(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Webhook-Id")+" "+string(b))
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(204)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			<-r.Context().Done()
		default:
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	d := outbound.NetHTTP{}
	hdr := [][2]string{{"webhook-id", "msg_1"}}
	for path, want := range map[string]int{"/ok": 204, "/redirect": 302, "/fail": 500} {
		res, err := d.Do(ctx, outbound.Request{URL: srv.URL + path, Header: hdr, Body: []byte("x")})
		if err != nil || res.Status != want {
			t.Errorf("%s: %v %v, want %d", path, res, err, want)
		}
	}
	if !slices.Contains(seen, "POST /ok msg_1 x") || len(seen) != 3 {
		t.Errorf("the receiver saw %q (the redirect must not be followed)", seen)
	}
	if _, err := d.Do(ctx, outbound.Request{URL: srv.URL + "/slow", Timeout: 100 * time.Millisecond}); !errors.Is(err, outbound.ErrTimeout) {
		t.Errorf("no answer: %v, want ErrTimeout", err)
	}
	if _, err := d.Do(ctx, outbound.Request{URL: "http://127.0.0.1:1/"}); err == nil || errors.Is(err, outbound.ErrTimeout) {
		t.Errorf("a refused connection: %v", err)
	}
}
