package api

import (
	"slices"

	"github.com/chatwidget/identity/internal/httpx"

	"github.com/chatwidget/identity/internal/identity"
)

// orgRequest is the body of POST /v1/admin/orgs (both fields required) and
// of PATCH /v1/admin/orgs/{org_id} (either).
type orgRequest struct {
	Name           *string   `json:"name"`
	AllowedOrigins *[]string `json:"allowed_origins"`
}

func (a *API) createOrg(w httpx.ResponseWriter, r *httpx.Request) error {
	var req orgRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return identity.Invalid("name", "is required.")
	}
	name, err := orgName(*req.Name)
	if err != nil {
		return err
	}
	if req.AllowedOrigins == nil {
		return identity.Invalid("allowed_origins", "is required: the origins (like https://shop.example) whose pages may use the widget.")
	}
	origins, err := allowedOrigins(*req.AllowedOrigins)
	if err != nil {
		return err
	}
	org, key, err := a.store.CreateOrg(r.Context(), name, origins)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusCreated, map[string]any{
		"org":     orgView(*org),
		"api_key": key,
	})
	return nil
}

// orgName validates an org's name: trimmed, not empty.
func orgName(s string) (string, error) {
	name, err := identity.ValidateName("name", s, identity.MaxOrgNameChars)
	if err == nil && name == "" {
		err = identity.Invalid("name", "must not be empty.")
	}
	return name, err
}

// allowedOrigins validates an org's origins, each in the form browsers send,
// without repeats.
func allowedOrigins(in []string) ([]string, error) {
	if len(in) > identity.MaxOrigins {
		return nil, identity.Invalid("allowed_origins", "must hold at most %d origins.", identity.MaxOrigins)
	}
	origins := []string{}
	for _, o := range in {
		n, err := identity.NormalizeOrigin("allowed_origins", o)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(origins, n) {
			origins = append(origins, n)
		}
	}
	return origins, nil
}

// getOrg shows the vendor an org and its api keys (ids and times; a secret
// is shown only when made).
func (a *API) getOrg(w httpx.ResponseWriter, r *httpx.Request) error {
	org, err := a.store.Org(r.Context(), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	keys, err := a.store.APIKeys(r.Context(), org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"org": orgView(*org), "api_keys": keys})
	return nil
}

// updateOrg changes an org's name or allowed origins (a site adds a domain,
// or drops one). Its widget token and keys stay.
func (a *API) updateOrg(w httpx.ResponseWriter, r *httpx.Request) error {
	var req orgRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var name *string
	if req.Name != nil {
		n, err := orgName(*req.Name)
		if err != nil {
			return err
		}
		name = &n
	}
	var origins []string
	if req.AllowedOrigins != nil {
		o, err := allowedOrigins(*req.AllowedOrigins)
		if err != nil {
			return err
		}
		origins = o
	}
	if name == nil && origins == nil {
		return identity.Invalid("name", "or allowed_origins is required: what to change.")
	}
	id := r.PathValue("org_id")
	// Changes of one org take turns in the instance: each reads the origins
	// it replaces, and two at once would each clear what the other added.
	unlock, err := a.hold(r.Context(), "org\x00"+id)
	if err != nil {
		return err
	}
	defer unlock()
	org, err := a.store.UpdateOrg(r.Context(), id, name, origins)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"org": orgView(*org)})
	return nil
}

func (a *API) createAPIKey(w httpx.ResponseWriter, r *httpx.Request) error {
	org, err := a.store.Org(r.Context(), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	key, err := a.store.CreateAPIKey(r.Context(), org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusCreated, map[string]any{"api_key": key})
	return nil
}

func (a *API) deleteAPIKey(w httpx.ResponseWriter, r *httpx.Request) error {
	org, err := a.store.Org(r.Context(), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	if err := a.store.DeleteAPIKey(r.Context(), org.ID, r.PathValue("key_id")); err != nil {
		return err
	}
	w.WriteHeader(httpx.StatusNoContent)
	return nil
}

func (a *API) jwks(w httpx.ResponseWriter, r *httpx.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(a.tokens.JWKS())
	return nil
}

// decodeBody reads and decodes a JSON request body.
func decodeBody(r *httpx.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}
