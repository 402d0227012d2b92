package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// A token whose header or claims nest deeper than jsonread.MaxDepth is
// refused as malformed before golang-jwt's parser recurses into it (which
// would overflow the worker's fixed TinyGo stack); one just within goes on
// to the parser.
func TestDecodeRefusesDeepNesting(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	enc := base64.RawURLEncoding.EncodeToString
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	h := enc([]byte(`{"alg":"EdDSA","kid":"a1"}`))
	c := enc([]byte(`{"sub":"x"}`))
	sig := strings.Repeat("A", 86)
	for _, tok := range []string{
		enc([]byte(`{"alg":"EdDSA","kid":"a1","x":`+arrays(5000)+`}`)) + "." + c + "." + sig,
		h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(5000)+`}`)) + "." + sig,
		h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(32)+`}`)) + "=." + sig,
	} {
		_, err := s.decode(tok)
		if !errors.Is(err, jwt.ErrTokenMalformed) || !strings.Contains(err.Error(), "nests deeper") {
			t.Errorf("decode(%.60s…) = %v, want malformed: nests deeper", tok, err)
		}
	}
	_, err := s.decode(h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(31)+`}`)) + "." + sig)
	if err == nil || strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("31 levels of aud: %v, want the parser's refusal", err)
	}
}
