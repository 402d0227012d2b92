package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/chatwidget/identity/internal/api/openapi"
)

// Validator checks requests and answers against the OpenAPI document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

// Load reads the document of the repository (internal/api/openapi).
func Load() (*Validator, error) { return LoadDocument(openapi.JSON) }

// LoadDocument reads an OpenAPI 3.1 document.
func LoadDocument(js []byte) (*Validator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(js)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	// The worker's address varies (wrangler dev on any port): match paths only.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Validator{doc: doc, router: router}, nil
}

// checkedRequest is a request matched to its operation.
type checkedRequest struct {
	input *openapi3filter.RequestValidationInput
}

// statusResponse names the response of components/responses that an error
// status answers with, on any route.
var statusResponse = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
	405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
	429: "RateLimited", 503: "Unavailable",
}

// request matches req (whose body is payload) to its operation and
// validates it. The checkedRequest is nil when no operation matches.
func (v *Validator) request(ctx context.Context, req *http.Request, payload []byte, body bool) (*checkedRequest, error) {
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(payload))
	route, params, err := v.router.FindRoute(probe)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not in the document: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    probe,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: credentialPresent,
			ExcludeRequestBody: !body,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return &checkedRequest{input: in}, err
	}
	return &checkedRequest{input: in}, nil
}

// credentialPresent checks that a security scheme's header is there; whether
// the credential is good is the worker's to say.
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && s.Scheme == "bearer":
		if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
			return in.NewError(errors.New("no Authorization: Bearer"))
		}
	case s.Type == "apiKey" && s.In == "header":
		if h.Get(s.Name) == "" {
			return in.NewError(fmt.Errorf("no %s", s.Name))
		}
	}
	return nil
}

// answer validates an answer to req; checked is nil when req matched no
// operation of the document.
func (v *Validator) answer(ctx context.Context, req *http.Request, checked *checkedRequest, res *http.Response, body []byte) error {
	if checked == nil {
		return v.answerOffRoute(req, res, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: checked.input,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("%s %s: the %d answer does not fit the document: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return nil
}

// answerOffRoute checks an answer to a request no operation matches (an
// unknown path, a method a path does not take, a preflight of an unknown
// widget path): an error status answers with its error response; an API
// path answers nothing else, except to a preflight.
func (v *Validator) answerOffRoute(req *http.Request, res *http.Response, body []byte) error {
	api := strings.HasPrefix(req.URL.Path, "/v1/") || strings.HasPrefix(req.URL.Path, "/.well-known/")
	if res.StatusCode < 400 {
		if api && req.Method != http.MethodOptions {
			return fmt.Errorf("%s %s is not in the document, yet answered %d", req.Method, req.URL.Path, res.StatusCode)
		}
		return nil
	}
	if !api && res.StatusCode == 404 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return nil // a static asset that is not there
	}
	name, ok := statusResponse[res.StatusCode]
	if !ok {
		return fmt.Errorf("%s %s: status %d is not one of the contract's", req.Method, req.URL.Path, res.StatusCode)
	}
	resp := v.doc.Components.Responses[name].Value
	for h, hv := range resp.Headers {
		if hv.Value.Required && res.Header.Get(h) == "" {
			return fmt.Errorf("%s %s: the %d answer has no %s header", req.Method, req.URL.Path, res.StatusCode, h)
		}
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("%s %s: the %d answer is not JSON: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	schema := resp.Content.Get("application/json").Schema.Value
	if err := schema.VisitJSON(value, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("%s %s: the %d answer does not fit components/responses/%s: %w", req.Method, req.URL.Path, res.StatusCode, name, err)
	}
	return nil
}
