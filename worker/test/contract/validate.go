package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/chatwidget/identity/internal/api/openapi"
)

// Validator checks requests and answers against the OpenAPI document.
//
// kin-openapi finds the operation and checks parameters, credentials,
// statuses and headers; the bodies are checked by JSON Schema 2020-12
// (santhosh-tekuri/jsonschema, which kin-openapi uses for OpenAPI 3.1) with
// each schema of the document compiled once: kin-openapi compiles a schema
// again on every validation, which made the suites several times slower.
type Validator struct {
	doc    *openapi3.T
	router routers.Router

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema // by JSON pointer into the document
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
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(documentURL, raw); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Validator{doc: doc, router: router, compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

const documentURL = "https://contract.invalid/openapi.json"

// schema returns the compiled schema at pointer (e.g.
// "/components/schemas/Session") of the document.
func (v *Validator) schema(pointer string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[pointer]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(documentURL + "#" + pointer)
	if err != nil {
		return nil, err
	}
	v.compiled[pointer] = s
	return s, nil
}

// validBody checks a JSON body against the schema at pointer.
func (v *Validator) validBody(pointer string, body []byte) error {
	s, err := v.schema(pointer)
	if err != nil {
		return fmt.Errorf("schema %s: %w", pointer, err)
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	if err := s.Validate(value); err != nil {
		return fmt.Errorf("the body does not fit %s: %w", pointer, err)
	}
	return nil
}

const jsonContent = "/content/application~1json/schema"

// bodyPointer is the JSON pointer of the schema of a JSON body: at ref
// ("#/components/responses/X") when set, else at inline ("/requestBody",
// "/responses/200") under route's operation.
func bodyPointer(route *routers.Route, inline, ref string) string {
	if ref != "" {
		return strings.TrimPrefix(ref, "#") + jsonContent
	}
	path := strings.NewReplacer("~", "~0", "/", "~1").Replace(route.Path) // a JSON pointer token
	return "/paths/" + path + "/" + strings.ToLower(route.Method) + inline + jsonContent
}

// statusResponse names the response of components/responses that an error
// status answers with, on any route.
var statusResponse = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
	405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
	429: "RateLimited", 500: "Internal", 503: "Unavailable",
}

// request matches req (whose body is payload) to its operation and
// validates it. The input it returns is nil when no operation matches.
func (v *Validator) request(ctx context.Context, req *http.Request, payload []byte, body bool) (
	*openapi3filter.RequestValidationInput, error) {
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(payload))
	route, params, err := v.router.FindRoute(probe)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not in the document: %w", req.Method, req.URL.Path, err)
	}
	for name, value := range params {
		// The legacy router lets a last path parameter match nothing
		// (PATCH /v1/admin/orgs as PATCH /v1/admin/orgs/{org_id}); no
		// route of the worker takes an empty segment.
		if value == "" {
			return nil, fmt.Errorf("%s %s is not in the document: its %s would be empty", req.Method, req.URL.Path, name)
		}
	}
	checked := &openapi3filter.RequestValidationInput{
		Request:    probe,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: credentialPresent,
			ExcludeRequestBody: true, // below, compiled once
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, checked); err != nil {
		return checked, err
	}
	rb := route.Operation.RequestBody
	switch {
	case !body:
	case rb == nil:
		if len(payload) > 0 {
			return checked, errors.New("a body where the operation takes none")
		}
	case len(payload) == 0:
		if rb.Value.Required {
			return checked, errors.New("no body where the operation requires one")
		}
	default:
		if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return checked, fmt.Errorf("Content-Type %q, want application/json", req.Header.Get("Content-Type"))
		}
		if err := v.validBody(bodyPointer(route, "/requestBody", rb.Ref), payload); err != nil {
			return checked, err
		}
	}
	return checked, nil
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
func (v *Validator) answer(ctx context.Context, req *http.Request, checked *openapi3filter.RequestValidationInput,
	res *http.Response, body []byte) error {
	if checked == nil {
		return v.answerOffRoute(req, res, body)
	}
	route := checked.Route
	if slices.Contains(route.Operation.Tags, "not-yet") && (res.StatusCode == 404 || res.StatusCode == 405) {
		// Not implemented by the worker yet: it does not know the route.
		return v.answerOffRoute(req, res, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: checked,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true},
	}
	fail := func(err error) error {
		return fmt.Errorf("%s %s: the %d answer does not fit the document: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fail(err)
	}
	status := strconv.Itoa(res.StatusCode)
	resp := route.Operation.Responses.Value(status)
	if resp == nil || resp.Value.Content == nil {
		if len(body) > 0 && resp != nil {
			return fail(errors.New("a body where the document has none"))
		}
		return nil
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail(fmt.Errorf("Content-Type %q, want application/json", res.Header.Get("Content-Type")))
	}
	if err := v.validBody(bodyPointer(route, "/responses/"+status, resp.Ref), body); err != nil {
		return fail(err)
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
	if err := v.validBody("/components/responses/"+name+jsonContent, body); err != nil {
		return fmt.Errorf("%s %s: the %d answer: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return nil
}
