package widget_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/widget"
)

func parse(m map[string]any) (*widget.Config, error) {
	return widget.ParseConfig(m, "https://worker.test")
}

func TestParseConfigModes(t *testing.T) {
	getTok := widget.TokenFunc(func(context.Context) (string, error) { return "a.b.c", nil })
	cases := []struct {
		name string
		cfg  map[string]any
		mode widget.Mode
	}{
		{"anonymous", map[string]any{"token": testWidgetToken}, widget.ModeAnonymous},
		{"collect", map[string]any{"token": testWidgetToken, "collectUserData": true, "prefillUserData": map[string]any{"name": "Ann", "email": "ann@example.com"}}, widget.ModeCollectUserData},
		{"collect false", map[string]any{"token": testWidgetToken, "collectUserData": false}, widget.ModeAnonymous},
		{"user data", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"name": "Bo", "email": "bo@example.com", "avatarUrl": "https://example.com/a.png", "customData": map[string]any{"plan": "pro"}}}}, widget.ModeUserData},
		{"user data wins over collect", map[string]any{"token": testWidgetToken, "collectUserData": true, "user": map[string]any{"data": map[string]any{}}}, widget.ModeUserData},
		{"verified", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": "aaa.bbb.ccc"}}, widget.ModeVerified},
		{"verified with getToken", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": "aaa.bbb.ccc"}, "getToken": getTok}, widget.ModeVerified},
		{"getToken alone", map[string]any{"token": testWidgetToken, "getToken": getTok}, widget.ModeVerified},
		{"nulls are absent", map[string]any{"token": testWidgetToken, "user": nil, "externalId": nil, "apiUrl": nil, "prefillUserData": nil}, widget.ModeAnonymous},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse(c.cfg)
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if got := cfg.Mode(); got != c.mode {
				t.Errorf("Mode() = %q, want %q", got, c.mode)
			}
		})
	}
}

func TestParseConfigValues(t *testing.T) {
	cfg, err := parse(map[string]any{
		"token":           testWidgetToken,
		"apiUrl":          "http://127.0.0.1:8787/",
		"externalId":      "workspace-42",
		"prefillUserData": map[string]any{"name": "  Ann  ", "email": " ann@example.com "},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIURL != "http://127.0.0.1:8787" {
		t.Errorf("APIURL = %q", cfg.APIURL)
	}
	if cfg.ExternalID != "workspace-42" {
		t.Errorf("ExternalID = %q", cfg.ExternalID)
	}
	if cfg.Prefill != (widget.Profile{Name: "Ann", Email: "ann@example.com"}) {
		t.Errorf("Prefill = %+v", cfg.Prefill)
	}
	cfg, err = parse(map[string]any{"token": testWidgetToken})
	if err != nil || cfg.APIURL != "https://worker.test" {
		t.Errorf("default apiUrl: %v %v", cfg, err)
	}
	cfg, err = parse(map[string]any{"token": testWidgetToken, "apiUrl": "https://chat.example.com/widget-api/"})
	if err != nil || cfg.APIURL != "https://chat.example.com/widget-api" {
		t.Errorf("apiUrl with a path: %v %v", cfg, err)
	}
}

func TestParseConfigErrorsNameTheOption(t *testing.T) {
	long := strings.Repeat("x", 257)
	bigData := map[string]any{}
	for i := range 51 {
		bigData[fmt.Sprint("k", i)] = i
	}
	cases := []struct {
		name   string
		cfg    map[string]any
		option string
	}{
		{"no token", map[string]any{}, "token"},
		{"empty token", map[string]any{"token": ""}, "token"},
		{"token not pk", map[string]any{"token": "sk_0123456789abcdefghijklmnop"}, "token"},
		{"token too short", map[string]any{"token": "pk_short"}, "token"},
		{"token with bad characters", map[string]any{"token": "pk_0123456789abcdefghijkl mn"}, "token"},
		{"token a number", map[string]any{"token": 42.0}, "token"},
		{"both user.token and user.data", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": "a.b.c", "data": map[string]any{"name": "x"}}}, "user"},
		{"user empty", map[string]any{"token": testWidgetToken, "user": map[string]any{}}, "user"},
		{"user a string", map[string]any{"token": testWidgetToken, "user": "bob"}, "user"},
		{"user.token empty", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": ""}}, "user.token"},
		{"user.token not a jwt", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": "secret"}}, "user.token"},
		{"user.token a number", map[string]any{"token": testWidgetToken, "user": map[string]any{"token": 1.0}}, "user.token"},
		{"user.data not an object", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": []any{}}}, "user.data"},
		{"invalid email in user.data", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"email": "not-an-email"}}}, "user.data.email"},
		{"user.data.email a number", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"email": 3.0}}}, "user.data.email"},
		{"user.data.name too long", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"name": strings.Repeat("n", 201)}}}, "user.data.name"},
		{"user.data.avatarUrl", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"avatarUrl": "javascript:alert(1)"}}}, "user.data.avatarUrl"},
		{"user.data.customData not an object", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"customData": "x"}}}, "user.data.customData"},
		{"user.data.customData too many keys", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"customData": bigData}}}, "user.data.customData"},
		{"user.data.customData too deep", map[string]any{"token": testWidgetToken, "user": map[string]any{"data": map[string]any{"customData": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{}}}}}}}, "user.data.customData"},
		{"invalid email in prefillUserData", map[string]any{"token": testWidgetToken, "collectUserData": true, "prefillUserData": map[string]any{"email": "a@b"}}, "prefillUserData.email"},
		{"prefillUserData not an object", map[string]any{"token": testWidgetToken, "prefillUserData": "ann"}, "prefillUserData"},
		{"collectUserData a string", map[string]any{"token": testWidgetToken, "collectUserData": "yes"}, "collectUserData"},
		{"apiUrl relative", map[string]any{"token": testWidgetToken, "apiUrl": "/api"}, "apiUrl"},
		{"apiUrl ftp", map[string]any{"token": testWidgetToken, "apiUrl": "ftp://x.example"}, "apiUrl"},
		{"apiUrl with query", map[string]any{"token": testWidgetToken, "apiUrl": "https://x.example/?a=1"}, "apiUrl"},
		{"apiUrl with user", map[string]any{"token": testWidgetToken, "apiUrl": "https://u:p@x.example"}, "apiUrl"},
		{"apiUrl a number", map[string]any{"token": testWidgetToken, "apiUrl": 8787.0}, "apiUrl"},
		{"externalId empty", map[string]any{"token": testWidgetToken, "externalId": ""}, "externalId"},
		{"externalId too long", map[string]any{"token": testWidgetToken, "externalId": long}, "externalId"},
		{"externalId not printable", map[string]any{"token": testWidgetToken, "externalId": "a\nb"}, "externalId"},
		{"externalId a number", map[string]any{"token": testWidgetToken, "externalId": 42.0}, "externalId"},
		{"getToken not a function", map[string]any{"token": testWidgetToken, "getToken": "tok"}, "getToken"},
		{"getToken with user.data", map[string]any{"token": testWidgetToken, "getToken": widget.TokenFunc(func(context.Context) (string, error) { return "", nil }), "user": map[string]any{"data": map[string]any{}}}, "getToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse(c.cfg)
			if err == nil {
				t.Fatalf("ParseConfig accepted it: %+v", cfg)
			}
			if !errors.Is(err, widget.ErrInvalidConfig) {
				t.Errorf("error %v is not ErrInvalidConfig", err)
			}
			var ce *widget.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError", err)
			}
			if got := ce.Options(); len(got) != 1 || got[0] != c.option {
				t.Errorf("options %q, want [%q]", got, c.option)
			}
			if !strings.Contains(err.Error(), c.option) {
				t.Errorf("error %q does not name %q", err, c.option)
			}
		})
	}
}

func TestParseConfigNamesEveryWrongOption(t *testing.T) {
	_, err := parse(map[string]any{
		"collectUserData": 1.0,
		"user":            map[string]any{"token": "a.b.c", "data": map[string]any{}},
		"externalId":      "",
	})
	var ce *widget.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	got := strings.Join(ce.Options(), ",")
	if got != "token,collectUserData,user,externalId" {
		t.Errorf("options = %s", got)
	}
}

func TestParseConfigNil(t *testing.T) {
	if _, err := widget.ParseConfig(nil, "https://w.test"); !errors.Is(err, widget.ErrInvalidConfig) {
		t.Errorf("nil config: %v", err)
	}
	if _, err := widget.ParseConfig(map[string]any{"token": testWidgetToken}, ""); err == nil || !strings.Contains(err.Error(), "apiUrl") {
		t.Errorf("no apiUrl and no default: %v", err)
	}
}

func TestParseConfigWarnsOfUnknownOptions(t *testing.T) {
	cfg, err := parse(map[string]any{"token": testWidgetToken, "apiURL": "x", "user": map[string]any{"data": map[string]any{"phone": "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ChatWidget.init: unknown option user.data.phone is ignored.",
		"ChatWidget.init: unknown option apiURL is ignored.",
	}
	if strings.Join(cfg.Warnings, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
}

func ExampleParseConfig() {
	_, err := widget.ParseConfig(map[string]any{
		"token": "pk_0123456789abcdefghijklmnop",
		"user": map[string]any{
			"token": "eyJ...",
			"data":  map[string]any{"email": "ann@example.com"},
		},
	}, "https://chat.example.com")
	fmt.Println(err)

	cfg, _ := widget.ParseConfig(map[string]any{
		"token":           "pk_0123456789abcdefghijklmnop",
		"collectUserData": true,
	}, "https://chat.example.com")
	fmt.Println(cfg.Mode(), cfg.APIURL)
	// Output:
	// ChatWidget.init: invalid config: user must have either user.token (verified) or user.data (non-verified), not both.
	// collectUserData https://chat.example.com
}

func TestConfigTypeNames(t *testing.T) {
	for v, want := range map[any]string{
		"s": "a string", true: "a boolean", 1.5: "a number", struct{}{}: "an unsupported value",
	} {
		_, err := parse(map[string]any{"token": v})
		if v == "s" {
			continue // a string token fails on its shape
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("token %v: %v, want %q", v, err, want)
		}
	}
	_, err := parse(map[string]any{"token": testWidgetToken, "externalId": []any{}, "user": map[string]any{"token": map[string]any{}}, "getToken": widget.TokenFunc(nil)})
	for _, want := range []string{"externalId must be a string, got an array", "user.token must be a string, got an object", "getToken must be a function"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not say %q", err, want)
		}
	}
}
