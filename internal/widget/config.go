package widget

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/chatwidget/identity/internal/identity"
)

// TokenFunc is the page's getToken: it returns a fresh verified user token.
// The browser build wraps the page's async JavaScript function in one.
type TokenFunc func(ctx context.Context) (string, error)

// Config is a validated ChatWidget.init config.
type Config struct {
	// Token is the org's widget token, pk_...
	Token string
	// APIURL is the worker's base URL, without a trailing slash.
	APIURL string
	// CollectUserData asks name and email before the first chat.
	CollectUserData bool
	// Prefill fills the collectUserData form.
	Prefill Profile
	// UserToken is a verified user token (user.token).
	UserToken string
	// UserData is what the page claims about its user (user.data); it is
	// non-verified.
	UserData *UserData
	// ExternalID scopes the sessions created and listed (the org's workspace).
	ExternalID string
	// GetToken, when set, is asked for a fresh verified token when the
	// current one has expired or was revoked, or when there is none.
	GetToken TokenFunc
	// ClaimChats says whether a verified user takes this device's chats:
	// ClaimNever (the default), ClaimAsk or ClaimAlways.
	ClaimChats string
	// Warnings name options that were ignored (unknown names).
	Warnings []string
}

// Profile is a name and an email, as the form and prefillUserData hold them.
type Profile struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// UserData is user.data: what the page knows about a logged-in user, sent as
// non-verified data.
type UserData struct {
	Name       string
	Email      string
	AvatarURL  string
	CustomData map[string]any
}

// Problem is one wrong option.
type Problem struct {
	// Option is the option's path, such as "token" or "user.data.email".
	Option string
	// Message is a sentence for a person; it starts with the option's path.
	Message string
}

// ConfigError lists every wrong option of a config. errors.Is(err,
// ErrInvalidConfig) matches it.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("ChatWidget.init: invalid config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Options returns the paths of the wrong options.
func (e *ConfigError) Options() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Option
	}
	return out
}

// Limits of the config that the contract does not already set.
const (
	minWidgetTokenChars = 24  // after "pk_"
	maxWidgetTokenChars = 256 // in all
	maxUserTokenChars   = 8192
)

var configOptions = []string{"token", "apiUrl", "collectUserData", "prefillUserData", "user", "externalId", "getToken", "claimChats"}

// ParseConfig validates the config the page passed to ChatWidget.init, as
// decoded from JavaScript or JSON: objects are map[string]any, numbers
// float64, and getToken a TokenFunc. defaultAPIURL is used when apiUrl is
// absent (the origin widget.js was loaded from). Every wrong option is named
// in the returned *ConfigError; unknown options only give a warning.
func ParseConfig(m map[string]any, defaultAPIURL string) (*Config, error) {
	p := &parser{}
	c := &Config{}
	if m == nil {
		p.add("config", "config must be an object such as {token: \"pk_...\"}.")
		return nil, p.err()
	}

	c.Token = p.widgetToken(m["token"])
	c.APIURL = p.apiURL(m["apiUrl"], defaultAPIURL)
	c.CollectUserData = p.boolean("collectUserData", m["collectUserData"])
	if v, ok := p.object("prefillUserData", m["prefillUserData"]); ok {
		c.Prefill.Name = p.name("prefillUserData.name", v["name"])
		c.Prefill.Email = p.email("prefillUserData.email", v["email"])
		c.Warnings = append(c.Warnings, unknown("prefillUserData.", v, "name", "email")...)
	}
	if v, ok := p.object("user", m["user"]); ok {
		p.user(c, v)
	}
	if v, present := m["externalId"]; present && v != nil {
		if s, ok := p.str("externalId", v); ok {
			if err := identity.ValidateIdentifier("externalId", s); err != nil {
				p.addErr("externalId", err)
			} else {
				c.ExternalID = s
			}
		}
	}
	if v := m["getToken"]; v != nil {
		if f, ok := v.(TokenFunc); ok && f != nil {
			c.GetToken = f
		} else {
			p.add("getToken", "getToken must be a function returning (a Promise of) a verified user token, got "+typeName(v)+".")
		}
	}
	c.ClaimChats = ClaimNever
	if v, present := m["claimChats"]; present && v != nil {
		if s, ok := p.str("claimChats", v); ok {
			switch s {
			case ClaimNever, ClaimAsk, ClaimAlways:
				c.ClaimChats = s
			default:
				p.add("claimChats", `claimChats must be "never", "ask" or "always".`)
			}
		}
	}
	if c.GetToken != nil && c.UserData != nil {
		p.add("getToken", "getToken renews a verified user token; it cannot be used with user.data (non-verified). Use user.token with getToken, or user.data alone.")
	}
	c.Warnings = append(c.Warnings, unknown("", m, configOptions...)...)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) user(c *Config, v map[string]any) {
	tok, hasTok := v["token"]
	data, hasData := v["data"]
	hasTok = hasTok && tok != nil
	hasData = hasData && data != nil
	switch {
	case hasTok && hasData:
		p.add("user", "user must have either user.token (verified) or user.data (non-verified), not both.")
		return
	case !hasTok && !hasData:
		p.add("user", "user must have user.token (a verified token from your server) or user.data ({name, email, avatarUrl, customData}).")
		return
	case hasTok:
		s, ok := p.str("user.token", tok)
		if !ok {
			return
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			p.add("user.token", "user.token must not be empty.")
		case len(s) > maxUserTokenChars || strings.Count(s, ".") != 2 || strings.ContainsAny(s, " \t\r\n"):
			p.add("user.token", "user.token must be the token returned by POST /v1/users/authenticate (a JWT).")
		default:
			c.UserToken = s
		}
	default:
		d, ok := p.object("user.data", data)
		if !ok {
			return
		}
		ud := &UserData{
			Name:  p.name("user.data.name", d["name"]),
			Email: p.email("user.data.email", d["email"]),
		}
		if a, present := d["avatarUrl"]; present && a != nil {
			if s, ok := p.str("user.data.avatarUrl", a); ok && s != "" {
				if err := identity.ValidateURL("user.data.avatarUrl", s); err != nil {
					p.addErr("user.data.avatarUrl", err)
				} else {
					ud.AvatarURL = s
				}
			}
		}
		if cd, ok := p.object("user.data.customData", d["customData"]); ok {
			if err := identity.CheckCustomData("user.data.customData", cd); err != nil {
				p.addErr("user.data.customData", err)
			} else {
				ud.CustomData = cd
			}
		}
		c.Warnings = append(c.Warnings, unknown("user.data.", d, "name", "email", "avatarUrl", "customData")...)
		c.UserData = ud
	}
	c.Warnings = append(c.Warnings, unknown("user.", v, "token", "data")...)
}

// parser collects the problems of one config.
type parser struct{ problems []Problem }

func (p *parser) add(option, msg string) {
	p.problems = append(p.problems, Problem{Option: option, Message: msg})
}

func (p *parser) addErr(option string, err error) {
	msg := err.Error()
	if e, ok := err.(*identity.Error); ok {
		msg = e.Message
	}
	p.add(option, msg)
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &ConfigError{Problems: p.problems}
}

func (p *parser) widgetToken(v any) string {
	if v == nil {
		p.add("token", "token is required: pass your org's widget token (pk_...).")
		return ""
	}
	s, ok := p.str("token", v)
	if !ok {
		return ""
	}
	if !validWidgetToken(s) {
		p.add("token", "token must be a widget token: pk_ followed by at least 24 letters, digits, '-' or '_' (never an sk_ api key).")
		return ""
	}
	return s
}

func validWidgetToken(s string) bool {
	if !strings.HasPrefix(s, "pk_") || len(s) < 3+minWidgetTokenChars || len(s) > maxWidgetTokenChars {
		return false
	}
	for i := 3; i < len(s); i++ {
		if !urlSafe(s[i]) {
			return false
		}
	}
	return true
}

func urlSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func (p *parser) apiURL(v any, def string) string {
	option := "apiUrl"
	if v == nil {
		if def == "" {
			p.add("apiUrl", "apiUrl is required when widget.js is not loaded from the chat worker.")
			return ""
		}
		v, option = def, "apiUrl (default: the origin of widget.js)"
	}
	s, ok := p.str("apiUrl", v)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || identity.ValidateURL("apiUrl", s) != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		p.add("apiUrl", option+" must be an absolute http(s) URL without query or fragment, such as https://chat.example.com.")
		return ""
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
}

func (p *parser) boolean(option string, v any) bool {
	if v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.add(option, option+" must be true or false, got "+typeName(v)+".")
	}
	return b
}

func (p *parser) str(option string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		p.add(option, option+" must be a string, got "+typeName(v)+".")
	}
	return s, ok
}

// object returns v as an object; absent and null give ok false and no problem.
func (p *parser) object(option string, v any) (map[string]any, bool) {
	if v == nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add(option, option+" must be an object, got "+typeName(v)+".")
	}
	return m, ok
}

func (p *parser) name(option string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := p.str(option, v)
	if !ok {
		return ""
	}
	n, err := identity.ValidateName(option, s, identity.MaxNameChars)
	if err != nil {
		p.addErr(option, err)
	}
	return n
}

func (p *parser) email(option string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := p.str(option, v)
	if !ok || strings.TrimSpace(s) == "" {
		return ""
	}
	e, err := identity.NormalizeEmail(option, s)
	if err != nil {
		p.addErr(option, err)
	}
	return e
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64, float32, int32:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case TokenFunc:
		return "a function"
	}
	return "an unsupported value"
}

// unknown returns a warning per key of m not in known, sorted.
func unknown(prefix string, m map[string]any, known ...string) []string {
	var out []string
	for k := range m {
		found := false
		for _, n := range known {
			if k == n {
				found = true
				break
			}
		}
		if !found {
			out = append(out, "ChatWidget.init: unknown option "+prefix+k+" is ignored.")
		}
	}
	sort.Strings(out)
	return out
}
