package api

import (
	"github.com/chatwidget/identity/internal/httpx"

	"github.com/chatwidget/identity/internal/identity"
)

type createOrgRequest struct {
	Name           *string   `json:"name"`
	AllowedOrigins *[]string `json:"allowed_origins"`
}

func (a *API) createOrg(w httpx.ResponseWriter, r *httpx.Request) error {
	var req createOrgRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return identity.Invalid("name", "is required.")
	}
	name, err := identity.ValidateName("name", *req.Name, identity.MaxOrgNameChars)
	if err != nil {
		return err
	}
	if name == "" {
		return identity.Invalid("name", "must not be empty.")
	}
	if req.AllowedOrigins == nil {
		return identity.Invalid("allowed_origins", "is required: the origins (like https://shop.example) whose pages may use the widget.")
	}
	origins := []string{}
	{
		if len(*req.AllowedOrigins) > identity.MaxOrigins {
			return identity.Invalid("allowed_origins", "must hold at most %d origins.", identity.MaxOrigins)
		}
		seen := map[string]bool{}
		for _, o := range *req.AllowedOrigins {
			n, err := identity.NormalizeOrigin("allowed_origins", o)
			if err != nil {
				return err
			}
			if !seen[n] {
				seen[n] = true
				origins = append(origins, n)
			}
		}
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
