package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFetchWaitsAndRenders(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"org_id":"o1","widget_token":"pk_x","api_key":"sk_y","allowed_origins":["http://127.0.0.1:1"]}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := fetch(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	out := render(srv.URL, d)
	for _, want := range []string{"pk_x", "sk_y", "o1", "http://127.0.0.1:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestFetchExplainsMissingDemoRoutes(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := fetch(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "DEMO_ROUTES=1") {
		t.Fatalf("err = %v, want a hint about DEMO_ROUTES", err)
	}
}
