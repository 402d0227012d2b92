package api

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Logger writes one line per event, "time level msg key=value ...", like
// log/slog's text handler, which the worker does without to stay small. It
// never receives a secret, a token or a key: callers pass routes, ids and
// error texts only.
type Logger struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewLogger returns a Logger writing to w; nil discards.
func NewLogger(w io.Writer) *Logger { return &Logger{w: w, now: time.Now} }

// Error logs an event that needs someone's attention.
func (l *Logger) Error(msg string, kv ...any) { l.log("ERROR", msg, kv) }

// Warn logs an event that went wrong without failing the request.
func (l *Logger) Warn(msg string, kv ...any) { l.log("WARN", msg, kv) }

func (l *Logger) log(level, msg string, kv []any) {
	if l == nil || l.w == nil {
		return
	}
	var b strings.Builder
	b.WriteString(l.now().UTC().Format(time.RFC3339Nano))
	b.WriteString(" level=" + level + " msg=" + strconv.Quote(msg))
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%s", kv[i], strconv.Quote(fmt.Sprint(kv[i+1])))
	}
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String())
}
