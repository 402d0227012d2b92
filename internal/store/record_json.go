package store

import "github.com/chatwidget/identity/internal/jsonwrite"

// The session record and a listing key's summary, appended as json.Marshal
// writes them (see internal/jsonwrite): a message rewrites both.

// AppendJSON appends r as json.Marshal writes it.
func (r sessionRecord) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"s":`...)
	dst, err := jsonwrite.Ptr(dst, r.Session)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"o":`...)
	dst = r.Owner.AppendJSON(dst)
	return append(dst, '}'), nil
}

// AppendJSON appends m as json.Marshal writes it.
func (m summaryMeta) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, '{')
	comma := func() {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
	}
	if m.Session != nil {
		var err error
		dst = append(dst, `"s":`...)
		if dst, err = m.Session.AppendJSON(dst); err != nil {
			return dst, err
		}
	}
	if m.Owner != nil {
		comma()
		dst = append(dst, `"o":`...)
		dst = m.Owner.AppendJSON(dst)
	}
	if m.External != nil {
		comma()
		dst = append(dst, `"x":`...)
		dst = jsonwrite.String(dst, *m.External)
	}
	if m.Partial {
		comma()
		dst = append(dst, `"p":true`...)
	}
	return append(dst, '}'), nil
}
