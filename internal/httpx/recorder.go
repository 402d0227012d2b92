package httpx

import "bytes"

// Recorder is a ResponseWriter that keeps the answer in memory, for a
// caller that decides later what to do with it (send it, or drop it).
type Recorder struct {
	HeaderMap Header
	// Status is the status written, 0 until a header or body is written.
	Status int
	Body   bytes.Buffer
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{HeaderMap: Header{}} }

// Header implements ResponseWriter.
func (r *Recorder) Header() Header { return r.HeaderMap }

// WriteHeader implements ResponseWriter: the first status written stands.
func (r *Recorder) WriteHeader(status int) {
	if r.Status == 0 {
		r.Status = status
	}
}

// Write implements ResponseWriter; it implies status 200.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(StatusOK)
	return r.Body.Write(b)
}

// StatusOrOK is the status written, 200 when nothing was.
func (r *Recorder) StatusOrOK() int {
	if r.Status == 0 {
		return StatusOK
	}
	return r.Status
}

// WriteTo sends the recorded answer to w, adding its headers to w's.
func (r *Recorder) WriteTo(w ResponseWriter) {
	h := w.Header()
	for k, v := range r.HeaderMap {
		h[k] = v
	}
	if r.Status != 0 {
		w.WriteHeader(r.Status)
	}
	if r.Body.Len() > 0 {
		_, _ = w.Write(r.Body.Bytes())
	}
}
