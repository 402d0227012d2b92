package api

import (
	"strings"
	"testing"
	"time"
)

func TestLoggerWritesOneQuotedLinePerEvent(t *testing.T) {
	var b strings.Builder
	l := NewLogger(&b)
	l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	l.Error("internal error", "route", "POST /v1/x", "err", "a\nb")
	l.Warn("w")
	want := "2026-01-02T03:04:05Z level=ERROR msg=\"internal error\" route=\"POST /v1/x\" err=\"a\\nb\"\n" +
		"2026-01-02T03:04:05Z level=WARN msg=\"w\"\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	var nilLogger *Logger
	nilLogger.Error("no panic")
}
