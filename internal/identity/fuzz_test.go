package identity_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/google/uuid"
)

// The seeds of these fuzz tests run with every plain `go test`; `go test
// -fuzz=FuzzX` explores further.

// FuzzNormalizeEmail: never panics; an error is invalid_email naming the
// field; an accepted address is trimmed, at most 254 characters, free of
// white space and controls, has one @ with a dotted domain, and normalizes
// to itself.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ann@example.com", " Ann@Example.COM ", "o'brien+tag@x.co.uk", "a@b.c", "",
		"ann", "ann@", "@x.com", "a@@x.com", "a@x", "a..b@x.com", "Ann <ann@x.com>",
		"\"a b\"@x.com", "a@[1.2.3.4]", "jöhn@bücher.example", "a@x.com\x00",
		strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + ".com", "a@-x.com", "a\xff@x.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := identity.NormalizeEmail("email", in)
		if err != nil {
			var e *identity.Error
			if !errors.As(err, &e) || e.Code != identity.CodeInvalidEmail || !strings.Contains(e.Message, "email") {
				t.Fatalf("error %v is not invalid_email naming the field", err)
			}
			if out != "" {
				t.Fatalf("error with a value %q", out)
			}
			if identity.IsValidEmail(in) {
				t.Fatal("IsValidEmail disagrees")
			}
			return
		}
		if !utf8.ValidString(out) || out != strings.TrimSpace(out) || utf8.RuneCountInString(out) > identity.MaxEmailChars {
			t.Fatalf("accepted %q", out)
		}
		for _, r := range out {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Fatalf("accepted %q with %U", out, r)
			}
		}
		if strings.Count(out, "@") != 1 {
			t.Fatalf("accepted %q: not one @", out)
		}
		local, domain, _ := strings.Cut(out, "@")
		if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
			t.Fatalf("accepted %q", out)
		}
		again, err := identity.NormalizeEmail("email", out)
		if err != nil || again != out {
			t.Fatalf("accepted %q, which normalizes to %q, %v", out, again, err)
		}
		if !identity.IsValidEmail(in) {
			t.Fatal("IsValidEmail disagrees")
		}
	})
}

// FuzzParseCustomData: never panics; an error is invalid_request naming the
// field (invalid_json naming it for a repeated key); an accepted value is nil or an object within every limit whose
// serialization parses again to the same value.
func FuzzParseCustomData(f *testing.F) {
	for _, s := range []string{
		"", "null", "{}", `{"plan":"pro","n":1.5,"big":12345678901234567890}`, `{"a":{"b":{"c":1}}}`,
		`{"a":{"b":{"c":{"d":1}}}}`, `{"a":[[1]]}`, `{"a":[[[1]]]}`, `[1]`, `"x"`, `1`, `true`,
		`{"a":`, `{"":1}`, `{"a":1,"a":2}`, `{"\u00e9":"\ud83d\ude00"}`, `{"a":"\xff"}`,
		objectOfKeys(50), objectOfKeys(51), objectOfSize(8192), objectOfSize(8193),
		`{"a":"<script>&</script>"}`, " \n{ \"a\" : [ ] }\t",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := identity.ParseCustomData("custom_data", json.RawMessage(raw))
		if err != nil {
			var e *identity.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an identity.Error", err)
			}
			dup := e.Code == identity.CodeInvalidJSON && strings.Contains(e.Message, "repeats a key")
			if e.Code != identity.CodeInvalidRequest && !dup || !strings.Contains(e.Message, "custom_data") {
				t.Fatalf("error %v is not invalid_request naming the field", err)
			}
			if got != nil {
				t.Fatalf("error with a value %v", got)
			}
			return
		}
		if got == nil {
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted %q, which is not one JSON value", raw)
		}
		if len(got) > identity.MaxCustomDataKeys {
			t.Fatalf("accepted %d keys", len(got))
		}
		if d := depthOf(got); d > identity.MaxCustomDataDepth {
			t.Fatalf("accepted depth %d", d)
		}
		if err := identity.CheckCustomData("custom_data", got); err != nil {
			t.Fatalf("accepted value fails CheckCustomData: %v", err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("accepted value does not marshal: %v", err)
		}
		if len(b) > identity.MaxCustomDataBytes {
			t.Fatalf("accepted %d bytes serialized", len(b))
		}
		again, err := identity.ParseCustomData("custom_data", b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("re-parse differs: %v vs %v", again, got)
		}
	})
}

func depthOf(v any) int {
	d := 0
	switch t := v.(type) {
	case map[string]any:
		for _, x := range t {
			d = max(d, depthOf(x))
		}
		return d + 1
	case []any:
		for _, x := range t {
			d = max(d, depthOf(x))
		}
		return d + 1
	}
	return 0
}

// FuzzValidDeviceID: never panics, agrees with ValidateDeviceID, and accepts
// exactly the canonical string form of RFC 9562 UUIDs of version 4.
func FuzzValidDeviceID(f *testing.F) {
	for _, s := range []string{
		"0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "0B7E3F8A-1C2D-4E5F-8A9B-0C1D2E3F4A5B",
		"01890a5d-ac96-774b-bcce-b302099a8057", "0b7e3f8a-1c2d-1e5f-8a9b-0c1d2e3f4a5b",
		"0b7e3f8a1c2d4e5f8a9b0c1d2e3f4a5b", "{0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}",
		"0b7e3f8a-1c2d-4e5f-ca9b-0c1d2e3f4a5b", "00000000-0000-0000-0000-000000000000", "",
		"urn:uuid:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := identity.ValidDeviceID(s)
		if err := identity.ValidateDeviceID(s); (err == nil) != ok {
			t.Fatalf("ValidDeviceID = %v, ValidateDeviceID = %v", ok, err)
		}
		u, perr := uuid.Parse(s)
		canonical := perr == nil && u.String() == s && u.Version() == 4 && u.Variant() == uuid.RFC4122
		if ok != canonical {
			t.Fatalf("ValidDeviceID(%q) = %v, canonical v4 = %v", s, ok, canonical)
		}
	})
}

// FuzzNormalizeOrigin: never panics; an accepted origin is lower case,
// http(s), has no path, query, fragment or user info, and normalizes to
// itself.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{
		"https://shop.example", "HTTPS://Shop.Example/", "http://127.0.0.1:8787", "http://[::1]:8080",
		"shop.example", "null", "*", "https://shop.example/p", "https://u@shop.example", "ftp://x",
		"https://shop.example?", "https://shop.example#", "https://%41.example", "http://a b", "http://[fe80::1%25eth0]",
		"https://127.1", "http://0x7f.1:80", "https://[::ffff:1.2.3.4]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := identity.NormalizeOrigin("allowed_origins", in)
		if err != nil {
			if identity.ErrorCode(err) != identity.CodeInvalidRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		if out != strings.ToLower(out) || !(strings.HasPrefix(out, "https://") || strings.HasPrefix(out, "http://")) {
			t.Fatalf("accepted %q as %q", in, out)
		}
		rest := out[strings.Index(out, "://")+3:]
		if rest == "" || strings.ContainsAny(rest, "/?#@") {
			t.Fatalf("accepted %q as %q", in, out)
		}
		again, err := identity.NormalizeOrigin("allowed_origins", out)
		if err != nil || again != out {
			t.Fatalf("%q normalizes to %q, then to %q, %v", in, out, again, err)
		}
	})
}

// FuzzValidateName: never panics; an accepted name is trimmed valid UTF-8
// without controls, within the limit in characters, and validates again to
// itself.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"", "Ann", "  Zoë  ", strings.Repeat("é", 200), strings.Repeat("é", 201), "a\nb", "\xff", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := identity.ValidateName("name", in, identity.MaxNameChars)
		if err != nil {
			if identity.ErrorCode(err) != identity.CodeInvalidRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > identity.MaxNameChars || out != strings.TrimSpace(out) {
			t.Fatalf("accepted %q", out)
		}
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("accepted %q with %U", out, r)
			}
		}
		if again, err := identity.ValidateName("name", out, identity.MaxNameChars); err != nil || again != out {
			t.Fatalf("re-validate: %q %v", again, err)
		}
	})
}

// FuzzValidateIdentifier: an accepted user_id/external_id is 1 to 256
// printable characters.
func FuzzValidateIdentifier(f *testing.F) {
	for _, s := range []string{"", "u-1", strings.Repeat("x", 256), strings.Repeat("x", 257), "a\x00", "a\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		err := identity.ValidateIdentifier("user_id", in)
		if err != nil {
			if identity.ErrorCode(err) != identity.CodeInvalidRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		n := utf8.RuneCountInString(in)
		if !utf8.ValidString(in) || n < 1 || n > identity.MaxIdentifierChars {
			t.Fatalf("accepted %q", in)
		}
		for _, r := range in {
			if !unicode.IsPrint(r) {
				t.Fatalf("accepted %q with %U", in, r)
			}
		}
	})
}
