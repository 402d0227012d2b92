package identity_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
)

// checkCode fails unless err is nil (want == "") or an *identity.Error with
// code want.
func checkCode(t *testing.T, what string, err error, want identity.Code) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	var e *identity.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: error = %v, want code %s", what, err, want)
		return
	}
	if e.Code != want {
		t.Errorf("%s: code = %s (%s), want %s", what, e.Code, e.Message, want)
	}
	if e.Message == "" {
		t.Errorf("%s: empty message", what)
	}
}

// checkNames fails unless err's message names field.
func checkNames(t *testing.T, err error, field string) {
	t.Helper()
	var e *identity.Error
	if errors.As(err, &e) && !strings.Contains(e.Message, field) {
		t.Errorf("message %q does not name %q", e.Message, field)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		want  string
		wcode identity.Code
	}{
		{"empty allowed", "", 200, "", ""},
		{"trimmed", "  Ann  ", 200, "Ann", ""},
		// TrimName: what shows nothing is trimmed like white space.
		{"NBSPs only", "\u00a0\u00a0", 200, "", ""},
		{"zero-width only", "\u200b", 200, "", ""},
		{"bidi override only", "\u202e", 200, "", ""},
		{"format characters trimmed", "\ufeffAnn\u200b", 200, "Ann", ""},
		{"201 with a BOM before is 200", "\ufeff" + strings.Repeat("a", 200), 200, strings.Repeat("a", 200), ""},
		{"RLM inside kept", "محمد\u200f علي", 200, "محمد\u200f علي", ""},
		{"200 ascii", strings.Repeat("a", 200), 200, strings.Repeat("a", 200), ""},
		{"201 ascii", strings.Repeat("a", 201), 200, "", identity.CodeInvalidRequest},
		// 200 two-byte runes are 400 bytes: the limit is in characters.
		{"200 runes of 2 bytes", strings.Repeat("é", 200), 200, strings.Repeat("é", 200), ""},
		{"201 runes of 2 bytes", strings.Repeat("é", 201), 200, "", identity.CodeInvalidRequest},
		{"200 runes of 4 bytes", strings.Repeat("😀", 200), 200, strings.Repeat("😀", 200), ""},
		{"201 runes of 4 bytes", strings.Repeat("😀", 201), 200, "", identity.CodeInvalidRequest},
		{"201 with surrounding space is 200", " " + strings.Repeat("a", 200) + " ", 200, strings.Repeat("a", 200), ""},
		{"newline inside", "Ann\nBob", 200, "", identity.CodeInvalidRequest},
		{"NUL", "Ann\x00", 200, "", identity.CodeInvalidRequest},
		{"DEL", "Ann\x7f", 200, "", identity.CodeInvalidRequest},
		{"C1 control", "Ann\u0085x", 200, "", identity.CodeInvalidRequest},
		{"invalid UTF-8", "Ann\xff", 200, "", identity.CodeInvalidRequest},
		{"unicode letters", "Zoë Ñúñez 山田", 200, "Zoë Ñúñez 山田", ""},
		{"own max", "abcd", 3, "", identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ValidateName("name", tt.in, tt.max)
			checkCode(t, "ValidateName", err, tt.wcode)
			checkNames(t, err, "name")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// emailOfLen returns a valid address of exactly n bytes (n >= 70): a 64-byte
// local part and a domain of labels of at most 63 bytes.
func emailOfLen(n int) string {
	local := strings.Repeat("l", 64)
	rest := n - len(local) - 1 // domain length
	var labels []string
	for rest > 0 {
		l := min(63, rest)
		if rest-l == 1 { // never leave a lone dot
			l--
		}
		labels = append(labels, strings.Repeat("d", l))
		rest -= l
		if rest > 0 {
			rest-- // the dot
		}
	}
	return local + "@" + strings.Join(labels, ".")
}

func TestNormalizeEmail(t *testing.T) {
	e254, e255 := emailOfLen(254), emailOfLen(255)
	if len(e254) != 254 || len(e255) != 255 {
		t.Fatalf("helper: %d %d", len(e254), len(e255))
	}
	tests := []struct {
		in    string
		want  string
		wcode identity.Code
	}{
		{"ann@example.com", "ann@example.com", ""},
		{"Ann@Example.COM", "Ann@Example.COM", ""}, // case is kept; IdentityKey lowers
		{"  ann@example.com \n", "ann@example.com", ""},
		{"o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk", ""},
		{"first.last@example.com", "first.last@example.com", ""},
		{"a@b.c", "a@b.c", ""},
		{"user@sub-domain.example", "user@sub-domain.example", ""},
		{"jöhn@bücher.example", "jöhn@bücher.example", ""},
		// Domains whose scripts write vowels as combining marks: the
		// Devanagari TLD .भारत, Thai, Tamil.
		{"ann@example.भारत", "ann@example.भारत", ""},
		{"ann@สวัสดี.example", "ann@สวัสดี.example", ""},
		{"ann@இந்தியா.example", "ann@இந்தியா.example", ""},
		{e254, e254, ""},
		{strings.Repeat("l", 64) + "@example.com", strings.Repeat("l", 64) + "@example.com", ""},

		{e255, "", identity.CodeInvalidEmail},
		{"", "", identity.CodeInvalidEmail},
		{"   ", "", identity.CodeInvalidEmail},
		{"ann", "", identity.CodeInvalidEmail},
		{"ann@", "", identity.CodeInvalidEmail},
		{"@example.com", "", identity.CodeInvalidEmail},
		{"ann@example", "", identity.CodeInvalidEmail},
		{"ann@@example.com", "", identity.CodeInvalidEmail},
		{"ann@bob@example.com", "", identity.CodeInvalidEmail},
		{"ann@.example.com", "", identity.CodeInvalidEmail},
		{"ann@example.com.", "", identity.CodeInvalidEmail},
		{"ann@example..com", "", identity.CodeInvalidEmail},
		{"ann@-example.com", "", identity.CodeInvalidEmail},
		{"ann@example-.com", "", identity.CodeInvalidEmail},
		{"ann@exa_mple.com", "", identity.CodeInvalidEmail},
		{"ann@̈example.com", "", identity.CodeInvalidEmail}, // a label never starts with a mark
		{"ann@example.ारत", "", identity.CodeInvalidEmail},  // (RFC 5891, 4.2.3.2)
		{"ann@[192.0.2.1]", "", identity.CodeInvalidEmail},
		{"ann@" + strings.Repeat("d", 64) + ".com", "", identity.CodeInvalidEmail},
		{strings.Repeat("l", 65) + "@example.com", "", identity.CodeInvalidEmail},
		{".ann@example.com", "", identity.CodeInvalidEmail},
		{"ann.@example.com", "", identity.CodeInvalidEmail},
		{"an..n@example.com", "", identity.CodeInvalidEmail},
		{"an n@example.com", "", identity.CodeInvalidEmail},
		{"ann\t@example.com", "", identity.CodeInvalidEmail},
		{"ann\x00@example.com", "", identity.CodeInvalidEmail},
		{"ann@exa\nmple.com", "", identity.CodeInvalidEmail},
		{"\"ann\"@example.com", "", identity.CodeInvalidEmail},
		{"\"an n\"@example.com", "", identity.CodeInvalidEmail},
		{"Ann <ann@example.com>", "", identity.CodeInvalidEmail},
		{"<ann@example.com>", "", identity.CodeInvalidEmail},
		{"ann@example.com (Ann)", "", identity.CodeInvalidEmail},
		{"ann@example.com, bob@example.com", "", identity.CodeInvalidEmail},
		{"ann;bob@example.com", "", identity.CodeInvalidEmail},
		{"ann@exa(mple.com", "", identity.CodeInvalidEmail},
		{"ann\\@example.com", "", identity.CodeInvalidEmail},
		{"ann@example.com\xff", "", identity.CodeInvalidEmail},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40q", tt.in), func(t *testing.T) {
			got, err := identity.NormalizeEmail("email", tt.in)
			checkCode(t, "NormalizeEmail", err, tt.wcode)
			checkNames(t, err, "email")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if ok := identity.IsValidEmail(tt.in); ok != (tt.wcode == "") {
				t.Errorf("IsValidEmail = %v, disagrees with NormalizeEmail", ok)
			}
			if err == nil && len(got) > identity.MaxEmailChars {
				t.Errorf("accepted %d bytes", len(got))
			}
		})
	}
}

func TestValidateIdentifier(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		wcode identity.Code
	}{
		{"one char", "x", ""},
		{"typical", "user_42", ""},
		{"email-like", "ann@example.com", ""},
		{"spaces inside", "work space 42", ""},
		{"256 ascii", strings.Repeat("a", 256), ""},
		{"257 ascii", strings.Repeat("a", 257), identity.CodeInvalidRequest},
		{"256 runes, 768 bytes", strings.Repeat("語", 256), ""},
		{"257 runes", strings.Repeat("語", 257), identity.CodeInvalidRequest},
		{"empty", "", identity.CodeInvalidRequest},
		{"NUL", "a\x00b", identity.CodeInvalidRequest},
		{"newline", "a\nb", identity.CodeInvalidRequest},
		{"tab", "a\tb", identity.CodeInvalidRequest},
		{"carriage return", "a\r", identity.CodeInvalidRequest},
		{"escape", "\x1b[31m", identity.CodeInvalidRequest},
		{"DEL", "a\x7f", identity.CodeInvalidRequest},
		{"C1", "a\u0080", identity.CodeInvalidRequest},
		{"line separator", "a\u2028b", identity.CodeInvalidRequest},
		{"bidi override", "a\u202eb", identity.CodeInvalidRequest},
		{"invalid UTF-8", "a\xffb", identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, field := range []string{"user_id", "external_id"} {
				err := identity.ValidateIdentifier(field, tt.in)
				checkCode(t, field, err, tt.wcode)
				checkNames(t, err, field)
			}
		})
	}
}

func TestValidDeviceID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"canonical v4 variant 8", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", true},
		{"canonical v4 variant 9", "0b7e3f8a-1c2d-4e5f-9a9b-0c1d2e3f4a5b", true},
		{"canonical v4 variant a", "0b7e3f8a-1c2d-4e5f-aa9b-0c1d2e3f4a5b", true},
		{"canonical v4 variant b", "0b7e3f8a-1c2d-4e5f-ba9b-0c1d2e3f4a5b", true},
		{"all zero v4", "00000000-0000-4000-8000-000000000000", true},
		{"all f v4", "ffffffff-ffff-4fff-bfff-ffffffffffff", true},

		{"v1", "0b7e3f8a-1c2d-1e5f-8a9b-0c1d2e3f4a5b", false},
		{"v3", "0b7e3f8a-1c2d-3e5f-8a9b-0c1d2e3f4a5b", false},
		{"v5", "0b7e3f8a-1c2d-5e5f-8a9b-0c1d2e3f4a5b", false},
		{"v7", "01890a5d-ac96-774b-bcce-b302099a8057", false},
		{"nil uuid", "00000000-0000-0000-0000-000000000000", false},
		{"max uuid", "ffffffff-ffff-ffff-ffff-ffffffffffff", false},
		{"uppercase", "0B7E3F8A-1C2D-4E5F-8A9B-0C1D2E3F4A5B", false},
		{"one uppercase digit", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5B", false},
		{"no hyphens", "0b7e3f8a1c2d4e5f8a9b0c1d2e3f4a5b", false},
		{"braces", "{0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}", false},
		{"urn", "urn:uuid:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", false},
		{"variant 0 (NCS)", "0b7e3f8a-1c2d-4e5f-0a9b-0c1d2e3f4a5b", false},
		{"variant 7 (NCS)", "0b7e3f8a-1c2d-4e5f-7a9b-0c1d2e3f4a5b", false},
		{"variant c (Microsoft)", "0b7e3f8a-1c2d-4e5f-ca9b-0c1d2e3f4a5b", false},
		{"variant e (future)", "0b7e3f8a-1c2d-4e5f-ea9b-0c1d2e3f4a5b", false},
		{"hyphens misplaced", "0b7e3f8a1-c2d-4e5f-8a9b-0c1d2e3f4a5b", false},
		{"underscores", "0b7e3f8a_1c2d_4e5f_8a9b_0c1d2e3f4a5b", false},
		{"non-hex", "0b7e3f8g-1c2d-4e5f-8a9b-0c1d2e3f4a5b", false},
		{"too short", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5", false},
		{"too long", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b0", false},
		{"surrounding space", " 0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", false},
		{"trailing newline", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5\n", false},
		{"empty", "", false},
		{"36 multibyte", strings.Repeat("é", 18), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := identity.ValidDeviceID(tt.in); got != tt.want {
				t.Errorf("ValidDeviceID(%q) = %v, want %v", tt.in, got, tt.want)
			}
			err := identity.ValidateDeviceID(tt.in)
			if tt.want {
				checkCode(t, "ValidateDeviceID", err, "")
			} else {
				checkCode(t, "ValidateDeviceID", err, identity.CodeInvalidDeviceID)
				if !errors.Is(err, identity.ErrInvalidDeviceID) {
					t.Errorf("errors.Is(%v, ErrInvalidDeviceID) = false", err)
				}
			}
		})
	}
}

// objectOfKeys returns a JSON object with n keys k0..k{n-1}.
func objectOfKeys(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// objectOfSize returns {"v":"xxx..."} of exactly n bytes serialized.
func objectOfSize(n int) string {
	const overhead = len(`{"v":""}`)
	return `{"v":"` + strings.Repeat("x", n-overhead) + `"}`
}

func TestParseCustomData(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		nkeys int // keys of the result when accepted; -1 for nil
		wcode identity.Code
	}{
		{"absent", "", -1, ""},
		{"null", "null", -1, ""},
		{"null with space", " null ", -1, ""},
		{"empty object", "{}", 0, ""},
		{"flat", `{"plan":"pro","seats":3,"trial":false,"x":null}`, 4, ""},
		{"number beyond float64", `{"n":1e400}`, 0, identity.CodeInvalidRequest},
		{"nested number beyond float64", `{"a":{"b":[-1e309]}}`, 0, identity.CodeInvalidRequest},
		{"50 keys", objectOfKeys(50), 50, ""},
		{"51 keys", objectOfKeys(51), 0, identity.CodeInvalidRequest},
		{"8192 bytes", objectOfSize(8192), 1, ""},
		{"8193 bytes", objectOfSize(8193), 0, identity.CodeInvalidRequest},
		{"depth 1", `{"a":1}`, 1, ""},
		{"depth 2", `{"a":{"b":1}}`, 1, ""},
		{"depth 3", `{"a":{"b":{"c":1}}}`, 1, ""},
		{"depth 4", `{"a":{"b":{"c":{"d":1}}}}`, 0, identity.CodeInvalidRequest},
		{"depth 4 empty object", `{"a":{"b":{"c":{}}}}`, 0, identity.CodeInvalidRequest},
		{"array is a level: depth 2", `{"a":[1,2]}`, 1, ""},
		{"array is a level: depth 3", `{"a":[[1],[2]]}`, 1, ""},
		{"array of objects: depth 3", `{"a":[{"b":1}]}`, 1, ""},
		{"arrays: depth 4", `{"a":[[[1]]]}`, 0, identity.CodeInvalidRequest},
		{"array of objects: depth 4", `{"a":[{"b":[1]}]}`, 0, identity.CodeInvalidRequest},
		{"empty array at depth 4", `{"a":{"b":{"c":[]}}}`, 0, identity.CodeInvalidRequest},
		{"deep on one key only", `{"x":1,"y":{"z":{"w":{"v":1}}}}`, 0, identity.CodeInvalidRequest},
		{"array", `[1,2]`, 0, identity.CodeInvalidRequest},
		{"array of object", `[{"a":1}]`, 0, identity.CodeInvalidRequest},
		{"string", `"plan"`, 0, identity.CodeInvalidRequest},
		{"number", `42`, 0, identity.CodeInvalidRequest},
		{"bool", `true`, 0, identity.CodeInvalidRequest},
		{"malformed", `{"a":`, 0, identity.CodeInvalidRequest},
		{"empty key", `{"":1}`, 0, identity.CodeInvalidRequest},
		{"trailing garbage", `{"a":1}x`, 0, identity.CodeInvalidRequest},
		{"two objects", `{"a":1} {"b":2}`, 0, identity.CodeInvalidRequest},
		{"unbalanced close", `{"a":1}]`, 0, identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ParseCustomData("custom_data", json.RawMessage(tt.in))
			checkCode(t, "ParseCustomData", err, tt.wcode)
			checkNames(t, err, "custom_data")
			if err != nil {
				if got != nil {
					t.Errorf("error and a value: %v", got)
				}
				return
			}
			if tt.nkeys == -1 {
				if got != nil {
					t.Errorf("got %v, want nil", got)
				}
				return
			}
			if got == nil || len(got) != tt.nkeys {
				t.Errorf("got %v, want %d keys", got, tt.nkeys)
			}
			if err := identity.CheckCustomData("custom_data", got); err != nil {
				t.Errorf("accepted value does not re-check: %v", err)
			}
		})
	}
}

// TestParseCustomDataSizeIsTheSizeSent: "≤ 8 KiB serialized" is the size of
// the object as JSON.stringify writes it (compact), not of Go's default
// re-encoding, which writes each of < > & as a six-byte \u escape: custom
// data holding URLs with query strings or bits of HTML must not be refused
// far below the limit.
func TestParseCustomDataSizeIsTheSizeSent(t *testing.T) {
	for _, c := range []string{"&", "<", ">"} {
		t.Run(c, func(t *testing.T) {
			raw := `{"v":"` + strings.Repeat(c, 4096-len(`{"v":""}`)) + `"}` // 4 KiB as sent
			if _, err := identity.ParseCustomData("custom_data", json.RawMessage(raw)); err != nil {
				t.Errorf("%d bytes sent, refused: %v", len(raw), err)
			}
		})
	}
}

// The size is the object's, serialized compact in UTF-8, however it was
// spelled: Python's json.dumps (a space after each colon and comma, "é" as
// \u00e9), pretty-printed JSON, escapes of characters JSON need not escape
// ("\/"), U+2028 (which encoding/json would escape) all count as
// JSON.stringify writes them: 8,192 bytes are accepted, 8,193 refused.
func TestCustomDataSizeIsOfTheCompactForm(t *testing.T) {
	fill := func(n int) string { return strings.Repeat("x", n) }
	head := len(`{"v":""}`)
	for _, c := range []struct {
		name string
		raw  string
		size int // compact, as JSON.stringify writes it
	}{
		{"compact", `{"v":"` + fill(8192-head) + `"}`, 8192},
		{"python spaces", `{"v": "` + fill(8192-head) + `"}`, 8192},
		{"pretty", "{\n  \"v\": \"" + fill(8192-head) + "\"\n}", 8192},
		{"python spaces, two keys", `{"a": 1, "v": "` + fill(8192-head-len(`"a":1,`)) + `"}`, 8192},
		{"ensure_ascii é", `{"v":"` + strings.Repeat(`\u00e9`, (8192-head)/2) + `"}`, 8192},
		{"ensure_ascii 😀", `{"v":"` + strings.Repeat(`\ud83d\ude00`, (8192-head)/4) + `"}`, 8192},
		{"escaped slash", `{"v":"` + strings.Repeat(`\/`, 8192-head) + `"}`, 8192},
		{"U+2028", `{"v":"` + strings.Repeat("\u2028", (8192-head)/3) + `"}`, 8192},
		{"needed escapes", `{"v":"` + strings.Repeat(`\"\n`, (8192-head)/4) + `"}`, 8192},
		{"control escaped", `{"v":"` + strings.Repeat(`\u0001`, (8192-head)/6) + `"}`, 8192},
		{"compact, one more", `{"v":"` + fill(8193-head) + `"}`, 8193},
		{"python spaces, one more", `{"v": "` + fill(8193-head) + `"}`, 8193},
		{"ensure_ascii é, one more", `{"v":"` + strings.Repeat(`\u00e9`, (8192-head)/2) + `x"}`, 8193},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := identity.ParseCustomData("custom_data", json.RawMessage(c.raw))
			if c.size <= identity.MaxCustomDataBytes {
				checkCode(t, c.name, err, "")
			} else {
				checkCode(t, c.name, err, identity.CodeInvalidRequest)
				if err != nil && !strings.Contains(err.Error(), fmt.Sprint(c.size)) {
					t.Errorf("%v does not say %d bytes", err, c.size)
				}
			}
		})
	}
}

// The measure is that of encoding/json's compact output without HTML
// escaping (which JSON.stringify's is, but for U+2028 and U+2029): padded
// to each size around the limit, an object is accepted iff that output is
// at most 8 KiB.
func TestCustomDataSizeMatchesCompactJSON(t *testing.T) {
	compactLen := func(m identity.CustomData) int {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]any(m)); err != nil {
			t.Fatal(err)
		}
		return len(bytes.TrimSpace(buf.Bytes()))
	}
	for i, raw := range []string{
		`{}`, `{"a":null,"b":true,"c":false,"d":-1.5e3,"e":"x\"y\\z\u0000\u001f\b\f\n\r\t\u007f"}`,
		`{"ü":["<>&",{"k":"v"},[1,2,3]],"😀":{"k":"é"}}`, `{"a":[[],[1],{"b":null}]}`,
	} {
		m, err := identity.ParseCustomData("custom_data", json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if m == nil {
			m = identity.CustomData{}
		}
		for pad := 8100; pad < 8200; pad++ {
			m["pad"] = strings.Repeat("p", pad)
			n := compactLen(m)
			if err := identity.CheckCustomData("custom_data", m); (err == nil) != (n <= identity.MaxCustomDataBytes) {
				t.Fatalf("%d: %d bytes compact: %v", i, n, err)
			}
		}
	}
}

func TestParseCustomDataKeepsNumbers(t *testing.T) {
	// Large integers survive: they are not squeezed through float64.
	got, err := identity.ParseCustomData("custom_data", json.RawMessage(`{"id":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"id":12345678901234567890}` {
		t.Errorf("round trip: %s", b)
	}
}

func TestCheckCustomData(t *testing.T) {
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{}}}}
	many := map[string]any{}
	for i := range 51 {
		many[fmt.Sprint(i)] = i
	}
	tests := []struct {
		name  string
		in    identity.CustomData
		wcode identity.Code
	}{
		{"nil", nil, ""},
		{"empty", identity.CustomData{}, ""},
		{"depth 3", identity.CustomData{"a": []any{map[string]any{"b": 1}}}, ""},
		{"depth 4", deep, identity.CodeInvalidRequest},
		{"51 keys", many, identity.CodeInvalidRequest},
		{"unmarshalable", identity.CustomData{"f": func() {}}, identity.CodeInvalidRequest},
		{"function in an array", identity.CustomData{"a": []any{1, func() {}}}, identity.CodeInvalidRequest},
		{"function in an object", identity.CustomData{"o": map[string]any{"f": func() {}}}, identity.CodeInvalidRequest},
		{"channel", identity.CustomData{"c": make(chan int)}, identity.CodeInvalidRequest},
		{"NaN", identity.CustomData{"n": math.NaN()}, identity.CodeInvalidRequest},
		{"+Inf", identity.CustomData{"n": math.Inf(1)}, identity.CodeInvalidRequest},
		{"-Inf float32", identity.CustomData{"n": float32(math.Inf(-1))}, identity.CodeInvalidRequest},
		{"bad json.Number", identity.CustomData{"n": json.Number("0x10")}, identity.CodeInvalidRequest},
		{"string json.Number", identity.CustomData{"n": json.Number(`"1"`)}, identity.CodeInvalidRequest},
		{"json.Number beyond float64", identity.CustomData{"n": json.Number("1e400")}, identity.CodeInvalidRequest},
		{"negative json.Number beyond float64", identity.CustomData{"a": []any{json.Number("-1e400")}}, identity.CodeInvalidRequest},
		{"json.Number that underflows to 0", identity.CustomData{"n": json.Number("1e-400")}, ""},
		{"numbers", identity.CustomData{"a": 1, "b": 1.5, "c": float32(2), "d": json.Number("-1e3"), "e": uint8(7), "f": nil, "g": true}, ""},
		{"too large", identity.CustomData{"v": strings.Repeat("x", 8<<10)}, identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.CheckCustomData("non_verified_custom_data", tt.in)
			checkCode(t, "CheckCustomData", err, tt.wcode)
			checkNames(t, err, "non_verified_custom_data")
		})
	}
}

func TestValidateContent(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		wcode identity.Code
	}{
		{"one char", "x", ""},
		{"one multibyte char", "😀", ""},
		{"surrounded by space", "  hi  ", ""},
		{"multiline", "line 1\nline 2\n", ""},
		{"10000 ascii", strings.Repeat("a", 10000), ""},
		{"10001 ascii", strings.Repeat("a", 10001), identity.CodeInvalidRequest},
		{"10000 runes, 40000 bytes", strings.Repeat("😀", 10000), ""},
		{"10001 runes", strings.Repeat("😀", 10001), identity.CodeInvalidRequest},
		{"empty", "", identity.CodeInvalidRequest},
		{"spaces", "     ", identity.CodeInvalidRequest},
		{"white space of all kinds", " \t\n\r\v\f\u00a0\u2003", identity.CodeInvalidRequest},
		{"invalid UTF-8", "hi \xff", identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.ValidateContent("content", tt.in)
			checkCode(t, "ValidateContent", err, tt.wcode)
			checkNames(t, err, "content")
		})
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		wcode identity.Code
	}{
		{"one char", "a", ""},
		{"uuid", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", ""},
		{"all printable ASCII", printableASCII(), ""},
		{"128", strings.Repeat("k", 128), ""},
		{"129", strings.Repeat("k", 129), identity.CodeInvalidRequest},
		{"empty", "", identity.CodeInvalidRequest},
		{"NUL", "a\x00", identity.CodeInvalidRequest},
		{"tab", "a\tb", identity.CodeInvalidRequest},
		{"newline", "a\n", identity.CodeInvalidRequest},
		{"DEL", "a\x7f", identity.CodeInvalidRequest},
		{"non-ASCII", "clé", identity.CodeInvalidRequest},
		{"64 two-byte runes", strings.Repeat("é", 64), identity.CodeInvalidRequest},
		{"invalid UTF-8", "\xff", identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.ValidateIdempotencyKey(tt.in)
			checkCode(t, "ValidateIdempotencyKey", err, tt.wcode)
			checkNames(t, err, "Idempotency-Key")
		})
	}
}

// printableASCII returns the 95 printable ASCII characters.
func printableASCII() string {
	var b strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		wcode identity.Code
	}{
		{"https://shop.example", "https://shop.example", ""},
		{"https://Shop.Example", "https://shop.example", ""},
		{"HTTPS://SHOP.EXAMPLE", "https://shop.example", ""},
		{"https://shop.example/", "https://shop.example", ""},
		{"http://127.0.0.1:8787", "http://127.0.0.1:8787", ""},
		{"http://localhost:8080", "http://localhost:8080", ""},
		{"https://shop.example:8443", "https://shop.example:8443", ""},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		// Browsers load hosts with underscores and send them as they are.
		{"https://my_shop.example", "https://my_shop.example", ""},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example", ""},
		// A Kelvin sign is not a "k", nor a long s an "s": such a host is
		// a Unicode host, which a browser would send as xn--.
		{"https://\u212Aoffee.example", "", identity.CodeInvalidRequest},
		{"https://\u017Fhop.example", "", identity.CodeInvalidRequest},

		{"", "", identity.CodeInvalidRequest},
		{"shop.example", "", identity.CodeInvalidRequest},
		{"//shop.example", "", identity.CodeInvalidRequest},
		{"null", "", identity.CodeInvalidRequest},
		{"*", "", identity.CodeInvalidRequest},
		{"ftp://shop.example", "", identity.CodeInvalidRequest},
		{"javascript:alert(1)", "", identity.CodeInvalidRequest},
		{"file:///etc/passwd", "", identity.CodeInvalidRequest},
		{"https:shop.example", "", identity.CodeInvalidRequest},
		{"https://", "", identity.CodeInvalidRequest},
		{"https://shop.example/path", "", identity.CodeInvalidRequest},
		{"https://shop.example?q=1", "", identity.CodeInvalidRequest},
		{"https://shop.example#frag", "", identity.CodeInvalidRequest},
		{"https://user@shop.example", "", identity.CodeInvalidRequest},
		{"https://user:pw@shop.example", "", identity.CodeInvalidRequest},
		{"https://shop.example:8a", "", identity.CodeInvalidRequest},
		{"https://shop.example\n", "", identity.CodeInvalidRequest},
		{"https://shop .example", "", identity.CodeInvalidRequest},
		{"http://[fe80::1%25eth0]", "", identity.CodeInvalidRequest}, // an IPv6 zone: no browser sends one
		{"http://[fe80::1%25eth0]:8080", "", identity.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := identity.NormalizeOrigin("allowed_origins", tt.in)
			checkCode(t, "NormalizeOrigin", err, tt.wcode)
			checkNames(t, err, "allowed_origins")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNormalizeOriginUnicodeHostSaysTheASCIIForm: a browser sends an
// internationalized host in its ASCII form (xn--), which NormalizeOrigin does
// not compute; the refusal says which form to give instead of only "like
// https://shop.example".
func TestNormalizeOriginUnicodeHostSaysTheASCIIForm(t *testing.T) {
	for _, in := range []string{"https://bücher.example", "https://BÜCHER.example:8443", "http://ﬀ.example"} {
		_, err := identity.NormalizeOrigin("allowed_origins", in)
		checkCode(t, "NormalizeOrigin("+in+")", err, identity.CodeInvalidRequest)
		checkNames(t, err, "allowed_origins")
		if err == nil || !strings.Contains(err.Error(), "xn--") {
			t.Errorf("NormalizeOrigin(%q): %v, want a message naming the ASCII (xn--) form", in, err)
		}
	}
}

// TestNormalizeOriginBrowserForm: NormalizeOrigin promises the form browsers
// send in the Origin header (RFC 6454 serialization: no default port, no
// empty port, ASCII host). An origin that no browser can ever send must be
// refused or brought to that form, or the org's widget silently never works.
func TestNormalizeOriginBrowserForm(t *testing.T) {
	tests := []struct {
		in      string
		browser string // what a browser on that page sends; "" when none can
	}{
		{"https://shop.example:443", "https://shop.example"},
		{"http://shop.example:80", "http://shop.example"},
		{"https://shop.example:", "https://shop.example"},
		{"https://shop.example:99999", ""},
		{"https://*.shop.example", ""},
		// A host ending in a number is an IPv4 address to a browser, which
		// sends it dotted (each as Node's new URL(...).origin has it).
		{"https://127.1", "https://127.0.0.1"},
		{"http://0x7f.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://0177.0.0.1", "https://127.0.0.1"},
		{"https://1.2.3", "https://1.2.0.3"},
		{"https://2130706433", "https://127.0.0.1"},
		{"https://127.0.0.1.", "https://127.0.0.1"},
		{"https://256.0.0.1", ""},
		{"https://1.2.3.4.5", ""},
		// An IPv4-mapped IPv6 address keeps hexadecimal pieces.
		{"https://[::ffff:127.0.0.1]", "https://[::ffff:7f00:1]"},
		{"https://[0:0:0:0:0:0:0:1]:8443", "https://[::1]:8443"},
		// DNS names are at most 253 characters.
		{"https://" + strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".example", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40s", tt.in), func(t *testing.T) {
			got, err := identity.NormalizeOrigin("allowed_origins", tt.in)
			if err != nil {
				return // refusing is fine
			}
			switch {
			case tt.browser == "":
				t.Errorf("NormalizeOrigin(%q) = %q, want an error: no browser sends such an origin", tt.in, got)
			case got != tt.browser:
				t.Errorf("NormalizeOrigin(%q) = %q, want %q (what a browser sends) or an error", tt.in, got, tt.browser)
			}
		})
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"https://cdn.example/a.png", true},
		{"http://cdn.example/a.png?x=1#y", true},
		{"https://cdn.example/" + strings.Repeat("a", 2048-len("https://cdn.example/")), true},
		{"https://cdn.example/" + strings.Repeat("a", 2049-len("https://cdn.example/")), false},
		// Characters, not bytes: 2,048 of them, 4,076 bytes in UTF-8.
		{"https://cdn.example/" + strings.Repeat("é", 2048-len("https://cdn.example/")), true},
		{"https://cdn.example/" + strings.Repeat("é", 2049-len("https://cdn.example/")), false},
		{"", false},
		{"/relative.png", false},
		{"javascript:alert(1)", false},
		{"data:image/png;base64,AAAA", false},
		{"ftp://cdn.example/a.png", false},
		{"https://", false},
		{"https://cdn.example/\x00", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40q", tt.in), func(t *testing.T) {
			err := identity.ValidateURL("avatar_url", tt.in)
			if tt.ok {
				checkCode(t, "ValidateURL", err, "")
			} else {
				checkCode(t, "ValidateURL", err, identity.CodeInvalidRequest)
				checkNames(t, err, "avatar_url")
			}
		})
	}
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"+1 (555) 010-9999", true},
		{strings.Repeat("1", 64), true},
		{strings.Repeat("1", 65), false},
		{"555\n0100", false},
		{"555\xff", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.30q", tt.in), func(t *testing.T) {
			err := identity.ValidatePhone("phone", tt.in)
			if tt.ok {
				checkCode(t, "ValidatePhone", err, "")
			} else {
				checkCode(t, "ValidatePhone", err, identity.CodeInvalidRequest)
				checkNames(t, err, "phone")
			}
		})
	}
}

func TestValidateTTLSeconds(t *testing.T) {
	tests := []struct {
		in int64
		ok bool
	}{
		{-1, false}, {0, false}, {59, false}, {60, true}, {61, true},
		{86400, true}, {2592000, true}, {2592001, false}, {1 << 62, false},
	}
	for _, tt := range tests {
		err := identity.ValidateTTLSeconds(tt.in)
		if tt.ok {
			checkCode(t, fmt.Sprint(tt.in), err, "")
		} else {
			checkCode(t, fmt.Sprint(tt.in), err, identity.CodeInvalidRequest)
			checkNames(t, err, "ttl_seconds")
		}
	}
}

// A whole number is one in any of JSON's spellings, as JSON Schema's
// "integer" says; a fraction or a string is not one.
func TestParseWholeNumber(t *testing.T) {
	const huge = 1 << 62
	for _, c := range []struct {
		in      string
		n       int64
		present bool
		ok      bool
	}{
		{"", 0, false, true}, {"null", 0, false, true}, {" null ", 0, false, true},
		{"60", 60, true, true}, {"60.0", 60, true, true}, {"6e1", 60, true, true}, {"6.0E+1", 60, true, true},
		{"600e-1", 60, true, true}, {"-0", 0, true, true}, {"-0.0", 0, true, true}, {"2592000.000", 2592000, true, true},
		{"-60", -60, true, true}, {"1e20", huge, true, true}, {"1e400", huge, true, true}, {"-1e400", -huge, true, true},
		{"99999999999999999999", huge, true, true},
		{"60.5", 0, true, false}, {"2592000.5", 0, true, false}, {"1e-400", 0, true, true}, {"6e-1", 0, true, false},
		{`"60"`, 0, true, false}, {"true", 0, true, false}, {"[60]", 0, true, false}, {"{}", 0, true, false},
		{"0x3c", 0, true, false}, {"+60", 0, true, false}, {"060", 0, true, false}, {"NaN", 0, true, false}, {"Infinity", 0, true, false},
	} {
		n, present, err := identity.ParseWholeNumber("ttl_seconds", json.RawMessage(c.in))
		if c.ok {
			checkCode(t, c.in, err, "")
		} else {
			checkCode(t, c.in, err, identity.CodeInvalidRequest)
			checkNames(t, err, "ttl_seconds")
		}
		if present != c.present || (c.ok && n != c.n) {
			t.Errorf("ParseWholeNumber(%s) = %d, %v, %v; want %d, %v", c.in, n, present, err, c.n, c.present)
		}
	}
}

func TestLimitsMatchTheContract(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"MaxNameChars", identity.MaxNameChars, 200},
		{"MaxEmailChars", identity.MaxEmailChars, 254},
		{"MaxIdentifierChars", identity.MaxIdentifierChars, 256},
		{"MaxCustomDataKeys", identity.MaxCustomDataKeys, 50},
		{"MaxCustomDataBytes", identity.MaxCustomDataBytes, 8192},
		{"MaxCustomDataDepth", identity.MaxCustomDataDepth, 3},
		{"MaxContentChars", identity.MaxContentChars, 10000},
		{"MaxIdempotencyKey", identity.MaxIdempotencyKey, 128},
		{"MinTokenTTLSeconds", identity.MinTokenTTLSeconds, 60},
		{"MaxTokenTTLSeconds", identity.MaxTokenTTLSeconds, 2592000},
		{"DefaultTokenTTLSecs", identity.DefaultTokenTTLSecs, 86400},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, the contract says %d", c.name, c.got, c.want)
		}
	}
}

func ExampleNormalizeEmail() {
	email, err := identity.NormalizeEmail("email", "  Ann@Example.com ")
	fmt.Printf("%q %v\n", email, err)

	_, err = identity.NormalizeEmail("email", "Ann <ann@example.com>")
	fmt.Println(identity.ErrorCode(err))
	// Output:
	// "Ann@Example.com" <nil>
	// invalid_email
}

func ExampleValidDeviceID() {
	fmt.Println(identity.ValidDeviceID("0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")) // v4
	fmt.Println(identity.ValidDeviceID("0B7E3F8A-1C2D-4E5F-8A9B-0C1D2E3F4A5B")) // upper case
	fmt.Println(identity.ValidDeviceID("01890a5d-ac96-774b-bcce-b302099a8057")) // v7
	// Output:
	// true
	// false
	// false
}

func ExampleParseCustomData() {
	data, err := identity.ParseCustomData("custom_data", json.RawMessage(`{"plan":"pro","tags":["a","b"]}`))
	fmt.Println(data["plan"], err)

	_, err = identity.ParseCustomData("custom_data", json.RawMessage(`{"a":{"b":{"c":{"d":1}}}}`))
	fmt.Println(err)
	// Output:
	// pro <nil>
	// invalid_request: custom_data must be nested at most 3 levels (got 4).
}

func ExampleValidateContent() {
	fmt.Println(identity.ValidateContent("content", "Hello!"))
	fmt.Println(identity.ValidateContent("content", "   "))
	// Output:
	// <nil>
	// invalid_request: content must not be empty.
}

func ExampleNormalizeOrigin() {
	origin, err := identity.NormalizeOrigin("allowed_origins", "https://Shop.Example/")
	fmt.Println(origin, err)
	// Output:
	// https://shop.example <nil>
}
