package widget_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

// FuzzParseConfig feeds JSON configs to ParseConfig: it must never panic, a
// refusal must be a *ConfigError whose every problem names its option, and
// an accepted config must keep the parser's promises.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`null`,
		`{"token":"pk_0123456789abcdefghijklmnop"}`,
		`{"token":"pk_0123456789abcdefghijklmnop","apiUrl":"http://127.0.0.1:8787/"}`,
		`{"token":"pk_0123456789abcdefghijklmnop","collectUserData":true,"prefillUserData":{"name":"Ann","email":"ann@example.com"}}`,
		`{"token":"pk_0123456789abcdefghijklmnop","user":{"token":"a.b.c"},"externalId":"workspace-42"}`,
		`{"token":"pk_0123456789abcdefghijklmnop","user":{"data":{"name":"Bo","email":"bo@example.com","avatarUrl":"https://x.example/a.png","customData":{"plan":"pro","n":[1,2]}}}}`,
		`{"token":"pk_0123456789abcdefghijklmnop","user":{"token":"a.b.c","data":{}}}`,
		`{"token":"sk_0123456789abcdefghijklmnop"}`,
		`{"token":42,"collectUserData":"yes","user":[],"externalId":""}`,
		`{"token":"pk_0123456789abcdefghijklmnop","prefillUserData":{"email":"a@b"}}`,
		`{"token":"pk_0123456789abcdefghijklmnop","apiUrl":"javascript:alert(1)","getToken":"x"}`,
		`{"token":"pk_0123456789abcdefghijklmnop","user":{"data":{"customData":{"a":{"b":{"c":{}}}}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return
		}
		cfg, err := widget.ParseConfig(m, "https://worker.test")
		if err != nil {
			var ce *widget.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, widget.ErrInvalidConfig) || len(ce.Problems) == 0 {
				t.Fatalf("error %v (%T) is not a *ConfigError with problems", err, err)
			}
			for _, p := range ce.Problems {
				root, _, _ := strings.Cut(p.Option, " ")
				if p.Option == "" || !strings.Contains(p.Message, root) {
					t.Fatalf("problem %+v does not name its option", p)
				}
			}
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if !strings.HasPrefix(cfg.Token, "pk_") || len(cfg.Token) < 27 {
			t.Fatalf("accepted token %q", cfg.Token)
		}
		if cfg.APIURL == "" || strings.HasSuffix(cfg.APIURL, "/") ||
			!(strings.HasPrefix(cfg.APIURL, "https://") || strings.HasPrefix(cfg.APIURL, "http://")) {
			t.Fatalf("accepted apiUrl %q", cfg.APIURL)
		}
		if cfg.UserToken != "" && cfg.UserData != nil {
			t.Fatal("both user.token and user.data accepted")
		}
		for _, e := range []string{cfg.Prefill.Email, userEmail(cfg)} {
			if e != "" && !identity.IsValidEmail(e) {
				t.Fatalf("accepted email %q", e)
			}
		}
		if cfg.ExternalID != "" && identity.ValidateIdentifier("externalId", cfg.ExternalID) != nil {
			t.Fatalf("accepted externalId %q", cfg.ExternalID)
		}
		if cfg.UserData != nil && identity.CheckCustomData("customData", cfg.UserData.CustomData) != nil {
			t.Fatal("accepted customData over the limits")
		}
		switch cfg.Mode() {
		case widget.ModeVerified, widget.ModeUserData, widget.ModeCollectUserData, widget.ModeAnonymous:
		default:
			t.Fatalf("mode %q", cfg.Mode())
		}
	})
}

func userEmail(c *widget.Config) string {
	if c.UserData == nil {
		return ""
	}
	return c.UserData.Email
}
