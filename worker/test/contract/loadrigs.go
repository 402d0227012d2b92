package contract

import (
	"net/http"
)

// LoopbackLoadVars are the wrangler dev vars of a rig whose every simulated
// client calls from 127.0.0.1 (soak, webhooke2e): the per-address rate
// limits off, the per-device ones kept; the pairs of more add or replace.
func LoopbackLoadVars(more ...string) map[string]string {
	vars := map[string]string{"RATE_LIMIT_CONTACTS_PER_IP": "0", "RATE_LIMIT_MESSAGES_PER_IP": "0"}
	for i := 0; i+1 < len(more); i += 2 {
		vars[more[i]] = more[i+1]
	}
	return vars
}

// HeaderMap sets every header of h, for the rigs that keep a request's
// headers in a map.
func HeaderMap(h map[string]string) Option {
	return func(dst http.Header) {
		for k, v := range h {
			dst.Set(k, v)
		}
	}
}
