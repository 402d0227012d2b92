package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/jsonread"
)

// Field limits of the contract.
const (
	MaxNameChars        = 200
	MaxEmailChars       = 254
	MaxIdentifierChars  = 256
	MaxCustomDataKeys   = 50
	MaxCustomDataBytes  = 8 << 10
	MaxCustomDataDepth  = 3
	MaxContentChars     = 10000
	MaxAuthorNameChars  = 200
	MaxURLChars         = 2048
	MaxPhoneChars       = 64
	MaxIdempotencyKey   = 128
	MaxOrigins          = 50
	MaxOrgNameChars     = 200
	MinTokenTTLSeconds  = 60
	MaxTokenTTLSeconds  = 2592000
	DefaultTokenTTLSecs = 24 * 60 * 60
)

// ValidateName checks a person's or org's display name, trimmed by
// TrimName: valid UTF-8, no control characters, at most max characters. The
// empty name (and so one that shows nothing) is allowed.
func ValidateName(field, s string, max int) (string, error) {
	s = TrimName(s)
	if !utf8.ValidString(s) {
		return "", Invalid(field, "must be valid UTF-8.")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", Invalid(field, "must be at most %d characters (got %d).", max, n)
	}
	if hasControl(s) {
		return "", Invalid(field, "must not contain control characters.")
	}
	return s, nil
}

// NormalizeEmail checks an email address and returns it trimmed. An invalid
// address is an invalid_email error naming field.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) error {
		return &Error{Code: CodeInvalidEmail, Message: field + " " + why}
	}
	if s == "" {
		return "", bad("must not be empty.")
	}
	if utf8.RuneCountInString(s) > MaxEmailChars {
		return "", bad("must be at most 254 characters.")
	}
	if !utf8.ValidString(s) || hasControl(s) || strings.ContainsAny(s, " \t<>\"(),;:\\[]") {
		return "", bad("is not a valid email address.")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", bad("is not a valid email address.")
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !dotAtom(local) || !validDomain(domain) {
		return "", bad("is not a valid email address.")
	}
	for _, r := range s {
		if foldsOntoASCII(r) {
			// Such an address renders as, and under Unicode case folding
			// compares equal to, another one (see FoldEmail).
			return "", bad("contains a character that is a case variant of an ASCII letter (such as the Kelvin sign); send the plain letter.")
		}
	}
	return s, nil
}

// dotAtom reports whether local is an RFC 5322 dot-atom (RFC 6532 letters
// allowed): atoms of atext joined by single dots. Quoted local parts are not
// accepted: no widget user types one.
func dotAtom(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r == '.':
		case r < 0x80:
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)) {
				return false
			}
		case !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
			return false
		}
	}
	return true
}

// IsValidEmail reports whether s is an address NormalizeEmail accepts.
func IsValidEmail(s string) bool {
	_, err := NormalizeEmail("email", s)
	return err == nil
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for i, r := range label {
			switch {
			case r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r):
			case unicode.IsMark(r) && i > 0:
				// The vowel signs and viramas of Devanagari, Thai, Tamil
				// and others are marks (the TLD .भारत has one), never a
				// label's first character (RFC 5891, 4.2.3.2).
			default:
				return false
			}
		}
	}
	return true
}

// ValidateIdentifier checks a user_id or external_id: 1 to 256 printable
// characters.
func ValidateIdentifier(field, s string) error {
	if s == "" {
		return Invalid(field, "must not be empty.")
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8.")
	}
	if n := utf8.RuneCountInString(s); n > MaxIdentifierChars {
		return Invalid(field, "must be at most %d characters (got %d).", MaxIdentifierChars, n)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return Invalid(field, "must contain only printable characters.")
		}
	}
	return nil
}

// ValidDeviceID reports whether s is a canonical (lower-case, hyphenated)
// UUID version 4 of the RFC 9562 variant.
func ValidDeviceID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return s[14] == '4' && strings.IndexByte("89ab", s[19]) >= 0
}

// ValidateDeviceID returns ErrInvalidDeviceID unless s is a canonical UUID v4.
func ValidateDeviceID(s string) error {
	if !ValidDeviceID(s) {
		return ErrInvalidDeviceID
	}
	return nil
}

// CustomData is a JSON object of caller-defined fields.
type CustomData = map[string]any

// ParseCustomData checks raw JSON custom data: an object of at most 50 keys,
// at most 8 KiB serialized, nested at most 3 levels (the object itself is the
// first). null and an absent value give nil. An object in it that repeats a
// key, at any depth, is invalid_json (encoding/json would keep the last).
func ParseCustomData(field string, raw json.RawMessage) (CustomData, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, Invalid(field, "must be a JSON object.")
	}
	if _, err := jsonread.Strict(raw, nil); err != nil {
		var se *jsonread.StrictError
		if errors.As(err, &se) && se.Deep {
			return nil, Invalid(field, "must be nested at most %d levels (got more than %d).", MaxCustomDataDepth, jsonread.MaxDepth)
		}
		if errors.As(err, &se) && se.Key != "" {
			return nil, Errorf(CodeInvalidJSON, "%s repeats a key: each key may appear once in an object.", field)
		}
		return nil, Invalid(field, "must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, Invalid(field, "must be a JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Invalid(field, "must be one JSON object.")
	}
	if err := CheckCustomData(field, m); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckCustomData applies the limits of ParseCustomData to a decoded object.
// Its values must be JSON data: nil, bool, string, finite numbers (Go's
// number types or a valid json.Number), []any and map[string]any. Anything
// else (a function from the browser, NaN, a channel) is refused here, so the
// encoding below never fails: it must not, because encoding/json reports such
// values by panicking and recovering, and TinyGo, which can compile the
// widget core, has no recover on WebAssembly.
func CheckCustomData(field string, m CustomData) error {
	if m == nil {
		return nil
	}
	if len(m) > MaxCustomDataKeys {
		return Invalid(field, "must have at most %d keys (got %d).", MaxCustomDataKeys, len(m))
	}
	d, err := jsonDepth(map[string]any(m))
	if err != nil {
		return Invalid(field, "%s", err.Error())
	}
	if d > MaxCustomDataDepth {
		return Invalid(field, "must be nested at most %d levels (got %d).", MaxCustomDataDepth, d)
	}
	if n := serializedLen(map[string]any(m)); n > MaxCustomDataBytes {
		return Invalid(field, "must be at most 8 KiB serialized (got %d bytes as compact JSON).", n)
	}
	for k := range m {
		if !utf8.ValidString(k) || k == "" {
			return Invalid(field, "keys must be non-empty UTF-8 strings.")
		}
	}
	return nil
}

// serializedLen is how many bytes v, JSON data that jsonDepth accepted,
// takes serialized as JSON.stringify writes it: compact, in UTF-8, escaping
// only what JSON must (a quote, a backslash, a control character). That is
// the contract's "8 KiB serialized", whatever spacing and escapes the
// sender used: Python's json.dumps puts a space after each colon and comma
// and writes "é" as the six bytes \u00e9, and encoding/json writes U+2028
// and U+2029 as six-byte escapes, where JSON.stringify writes their three
// UTF-8 bytes. A json.Number counts as spelled.
func serializedLen(v any) int {
	switch t := v.(type) {
	case nil:
		return len("null")
	case bool:
		if t {
			return len("true")
		}
		return len("false")
	case string:
		return quotedLen(t)
	case json.Number:
		return len(t)
	case map[string]any:
		n := 2 + max(len(t)-1, 0) // {} and the commas
		for k, x := range t {
			n += quotedLen(k) + 1 + serializedLen(x)
		}
		return n
	case []any:
		n := 2 + max(len(t)-1, 0)
		for _, x := range t {
			n += serializedLen(x)
		}
		return n
	}
	// A number of one of Go's types, written as encoding/json writes it
	// (which, for a float64, is as JavaScript does).
	b, err := json.Marshal(v)
	if err != nil {
		return MaxCustomDataBytes + 1
	}
	return len(b)
}

// quotedLen is the length of s as a JSON string literal, as serializedLen
// counts it.
func quotedLen(s string) int {
	n := 2
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\b' || r == '\f' || r == '\n' || r == '\r' || r == '\t':
			n += 2
		case r < 0x20:
			n += len(`\u0000`)
		default:
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// errNotJSON is what jsonDepth reports for a value JSON cannot hold.
var errNotJSON = errors.New("must hold only JSON data: objects, arrays, strings, finite numbers, true, false and null.")

// jsonDepth counts the levels of objects and arrays in v, v itself included,
// and refuses a value that is not JSON data.
func jsonDepth(v any) (int, error) {
	switch t := v.(type) {
	case nil, bool, string,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return 0, nil
	case float64:
		return 0, finite(t)
	case float32:
		return 0, finite(float64(t))
	case json.Number:
		if !validNumber(string(t)) {
			return 0, errNotJSON
		}
		return 0, nil
	case map[string]any:
		d := 0
		for _, x := range t {
			dx, err := jsonDepth(x)
			if err != nil {
				return 0, err
			}
			d = max(d, dx)
		}
		return d + 1, nil
	case []any:
		d := 0
		for _, x := range t {
			dx, err := jsonDepth(x)
			if err != nil {
				return 0, err
			}
			d = max(d, dx)
		}
		return d + 1, nil
	}
	return 0, errNotJSON
}

func finite(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errNotJSON
	}
	return nil
}

// validNumber reports whether s is one JSON number, as json.Number must be
// for encoding/json to write it, that a float64 holds without overflow:
// what the store decodes custom data into when it reads a record again
// (1e400 would make that record unreadable), and what a browser's
// JSON.parse makes of it (Infinity).
func validNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	if !json.Valid([]byte(s)) {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(f, 0)
}

// ValidateContent checks a message's content: 1 to 10,000 characters, not
// only white space.
func ValidateContent(field, s string) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8.")
	}
	if strings.TrimSpace(s) == "" {
		return Invalid(field, "must not be empty.")
	}
	if n := utf8.RuneCountInString(s); n > MaxContentChars {
		return Invalid(field, "must be at most %d characters (got %d).", MaxContentChars, n)
	}
	return nil
}

// ValidateURL checks an http(s) URL such as avatar_url: at most
// MaxURLChars characters, as the other fields count them (an address of
// non-ASCII letters, which browsers show as typed, is not held to bytes).
func ValidateURL(field, s string) error {
	if utf8.RuneCountInString(s) > MaxURLChars {
		return Invalid(field, "must be at most %d characters.", MaxURLChars)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || hasControl(s) {
		return Invalid(field, "must be an absolute http or https URL.")
	}
	return nil
}

// ValidatePhone checks a phone number: printable, at most 64 characters.
func ValidatePhone(field, s string) error {
	if utf8.RuneCountInString(s) > MaxPhoneChars || !utf8.ValidString(s) || hasControl(s) {
		return Invalid(field, "must be at most %d printable characters.", MaxPhoneChars)
	}
	return nil
}

// ValidateIdempotencyKey checks an Idempotency-Key header value: 1 to 128
// printable ASCII characters.
func ValidateIdempotencyKey(s string) error {
	if s == "" || len(s) > MaxIdempotencyKey {
		return Invalid("Idempotency-Key", "must be 1 to %d printable characters.", MaxIdempotencyKey)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return Invalid("Idempotency-Key", "must be 1 to %d printable characters.", MaxIdempotencyKey)
		}
	}
	return nil
}

// NormalizeOrigin checks a browser origin such as "https://shop.example" or
// "http://127.0.0.1:8080" and returns it in the form browsers send in the
// Origin header (RFC 6454: lower case, no default or empty port; a host as
// the URL standard serializes it: 127.1 is 127.0.0.1). An origin no browser
// can send, such as a wildcard, is refused.
func NormalizeOrigin(field, s string) (string, error) {
	bad := Invalid(field, "must hold origins like https://shop.example (scheme, host and optional port).")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || hasControl(s) {
		return "", bad
	}
	host := lowerASCII(u.Hostname()) // a Kelvin sign is not a "k"
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") && port == "" {
		port = "" // "https://shop.example:" is the default port
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", bad
		}
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	}
	// A host ending in a number is an IPv4 address to a browser in any of
	// its old forms (127.1, 0x7f.0.0.1, 1.2.3), which it sends dotted.
	if ip, isIPv4, ok := WHATWGIPv4(host); isIPv4 {
		if !ok {
			return "", bad
		}
		host = ip.String()
	}
	if !validHost(host) {
		if hasNonASCII(host) {
			// A browser sends such a host in its ASCII form (IDNA), which
			// this does not compute: say which form to give.
			return "", Invalid(field, "must hold origins as browsers send them: write an internationalized domain name in its ASCII form (https://xn--bcher-kva.example for https://bücher.example).")
		}
		return "", bad
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + whatwgIPv6(ip) + "]"
	}
	out := u.Scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// validHost accepts a DNS name (letters, digits, hyphens and underscores,
// which browsers load and send in Origin as they are; "localhost" too), an
// IPv4 or an IPv6 address without a zone.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		// A zone ("fe80::1%eth0") names an interface of one machine: no
		// browser puts one in an origin (the URL Standard has none).
		return ip.Zone() == ""
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// ParseWholeNumber reads a JSON number that is a whole number, in any of
// the spellings JSON has for one (60, 60.0, 6e1, 6.0E+1), as JSON Schema's
// "integer" (the OpenAPI document's type) takes them: a server whose
// language has only floats, or that computes a lifetime as one (Python's
// timedelta.total_seconds() is 3600.0), sends 3600.0. present is false for
// an absent or null raw. A number with a fraction, or a value that is not a
// number (a string "60", true), is invalid_request naming field. A whole
// number beyond ±2^62 (1e400 too) is returned as ±2^62, for the caller's
// range check to refuse.
func ParseWholeNumber(field string, raw json.RawMessage) (n int64, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, false, nil
	}
	notWhole := Invalid(field, "must be a whole number.")
	if c := raw[0]; c != '-' && (c < '0' || c > '9') || !json.Valid(raw) {
		return 0, true, notWhole
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	const limit = 1 << 62
	switch {
	case err != nil && !math.IsInf(f, 0):
		return 0, true, notWhole
	case f >= limit:
		return limit, true, nil
	case f <= -limit:
		return -limit, true, nil
	case f != math.Trunc(f):
		return 0, true, notWhole
	}
	return int64(f), true, nil
}

// ValidateTTLSeconds checks ttl_seconds: 60 to 2,592,000.
func ValidateTTLSeconds(n int64) error {
	if n < MinTokenTTLSeconds || n > MaxTokenTTLSeconds {
		return Invalid("ttl_seconds", "must be from %d to %d.", MinTokenTTLSeconds, MaxTokenTTLSeconds)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}
