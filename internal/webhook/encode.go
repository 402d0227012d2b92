package webhook

import (
	"bytes"
	"encoding/json"
)

// Marshal is the JSON of v as events carry it: json.Marshal's, without its
// HTML escapes. json.Marshal writes "<", ">" and "&" as \u003c, \u003e and
// \u0026 (six bytes for one), and U+2028 and U+2029 as \u2028 and \u2029
// (six for three), also inside a MarshalJSON method's output, which an
// Encoder's SetEscapeHTML(false) leaves as it is. The receiver parses JSON,
// to which the characters themselves are the same string, so Marshal
// writes them as they are: a message of 10,000 "<" is 10,000 bytes in its
// event, not 60,000, twice over (the message and the session's
// last_message). A control character stays \u00XX, as JSON requires.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return unescapeHTML(b), nil
}

// unescapeHTML replaces, in b (JSON as encoding/json writes it), the
// escapes of "<", ">", "&", U+2028 and U+2029 by the characters. Every
// backslash of JSON starts an escape, inside a string, so reading them two
// by two never takes the "\u003c" of an escaped backslash ("\\u003c", a
// string holding a backslash and "u003c") for an escape.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) && !bytes.Contains(b, []byte(`\u202`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 == len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			var r string
			switch string(b[i+2 : i+6]) {
			case "003c":
				r = "<"
			case "003e":
				r = ">"
			case "0026":
				r = "&"
			case "2028":
				r = "\u2028"
			case "2029":
				r = "\u2029"
			}
			if r != "" {
				out = append(out, r...)
				i += 5
				continue
			}
		}
		out = append(out, c, b[i+1])
		i++
	}
	return out
}
