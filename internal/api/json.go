package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonread"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// limitBody refuses a request whose body is over MaxBodyBytes, whatever the
// route: a body of unknown length is read (up to the limit) and kept.
func limitBody(r *httpx.Request) error {
	if r.ContentLength > MaxBodyBytes {
		return identity.ErrPayloadTooLarge
	}
	if r.ContentLength >= 0 || r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return identity.Errorf(identity.CodeInvalidRequest, "The request body could not be read.")
	}
	if len(b) > MaxBodyBytes {
		return identity.ErrPayloadTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return nil
}

// readBody reads the request body, refusing more than MaxBodyBytes.
func readBody(r *httpx.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, identity.ErrPayloadTooLarge
	}
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, identity.Errorf(identity.CodeInvalidRequest, "The request body could not be read.")
	}
	if len(b) > MaxBodyBytes {
		return nil, identity.ErrPayloadTooLarge
	}
	return b, nil
}

// decodeJSON decodes a JSON object body into v, a pointer to a struct whose
// fields have json tags. Keys match exactly, case included: a key that is
// not exactly a field's tag is an unknown field, ignored like any other
// (encoding/json alone would match "USER_ID" to user_id). A body that
// repeats a key, in any object at any depth, is invalid_json (encoding/json
// alone would keep the last). jsonread.Strict does both in one pass before
// encoding/json decodes. A string that escapes a lone UTF-16 surrogate
// ("\ud800") is invalid_json, like the invalid UTF-8 that spells it raw
// (encoding/json alone would make both U+FFFD, one user_id for many). A
// value of the wrong type is an invalid_request naming the field.
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return identity.Errorf(identity.CodeInvalidJSON, "The request body must be a JSON object.")
	}
	if trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return identity.Errorf(identity.CodeInvalidRequest, "The request body must be a JSON object.")
		}
		return identity.Errorf(identity.CodeInvalidJSON, "The request body is not valid JSON.")
	}
	if !utf8.Valid(trimmed) {
		return identity.Errorf(identity.CodeInvalidJSON, "The request body is not valid UTF-8.")
	}
	trimmed, err := jsonread.Strict(trimmed, fieldsOf(v).has)
	if err != nil {
		var se *jsonread.StrictError
		if errors.As(err, &se) && se.Deep {
			field := se.Key
			if field == "" {
				field = "body"
			}
			return identity.Invalid(field, "is nested deeper than %d levels.", jsonread.MaxDepth)
		}
		if errors.As(err, &se) && se.Surrogate {
			return identity.Errorf(identity.CodeInvalidJSON, "The request body is not valid UTF-8: a string escapes half of a UTF-16 surrogate pair (\\ud800 to \\udfff) alone.")
		}
		if errors.As(err, &se) && se.Key != "" && json.Valid(body) {
			return identity.Errorf(identity.CodeInvalidJSON, "The request body repeats a key: each key may appear once in an object.")
		}
		return identity.Errorf(identity.CodeInvalidJSON, "The request body is not valid JSON.")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && json.Valid(trimmed) {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return identity.Invalid(field, "must be %s.", describe(te.Type.Kind().String()))
		}
		return identity.Errorf(identity.CodeInvalidJSON, "The request body is not valid JSON.")
	}
	if dec.More() {
		return identity.Errorf(identity.CodeInvalidJSON, "The request body holds more than one JSON value.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return identity.Errorf(identity.CodeInvalidJSON, "The request body holds more than one JSON value.")
	}
	return nil
}

// fields is the set of json names of a struct's fields.
type fields map[string]bool

func (f fields) has(key []byte) bool { return f[string(key)] }

var fieldSets sync.Map // reflect.Type → fields

// fieldsOf returns the json names of the fields of the struct v points to.
func fieldsOf(v any) fields {
	t := reflect.TypeOf(v)
	if f, ok := fieldSets.Load(t); ok {
		return f.(fields)
	}
	f := fields{}
	st := t.Elem()
	for i := 0; i < st.NumField(); i++ {
		sf := st.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f[name] = true
	}
	fieldSets.Store(t, f)
	return f
}

func describe(kind string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "a whole number"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "slice":
		return "an array"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return "of another type"
}

// writeJSON writes v with status, as json.Marshal writes it.
func writeJSON(w httpx.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = httpx.StatusInternalServerError
		b = InternalErrorBody
	}
	writeRaw(w, status, b)
}

func writeRaw(w httpx.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
