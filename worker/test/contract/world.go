package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/google/uuid"
)

// A world is a fixture described as data: the orgs its steps name, and the
// people and chats the steps make, in order, through the contract client.
// The access rules' table and the attack suite build theirs with BuildWorld.

// Step is one thing a world does, in order. Name is the actor or the
// session it makes; exactly one of Contact, Auth, Session, Say is set.
type Step struct {
	Name string
	Org  string // the org of a Contact or Auth: "A", "B", ...

	// Contact signs a device in (POST /v1/widget/contacts) with this body;
	// its "device_id" names a device of the world ("dev1"), given a fresh
	// UUID per world. Other keys are sent as they are (a browser may send
	// anything).
	Contact map[string]any
	// Auth is the org server's POST /v1/users/authenticate.
	Auth *AuthenticateRequest

	By string // the actor of Session and Say
	// Session is POST /v1/widget/sessions by By with this body (a
	// SessionRequest, or a map for what the type cannot send).
	Session any
	// Say is a message By writes into the session Name.
	Say string
}

// WorldOrg is one org of a built world, with the one origin it allows.
type WorldOrg struct {
	OrgCreated
	Origin string
}

// Actor is one party of a built world: a contact or a verified user.
type Actor struct {
	Org, Token string
	ID         string          // the contact's or the user's id
	SignIn     json.RawMessage // the sign-in answer's contact or user
}

// WorldSession is one session of a built world.
type WorldSession struct {
	ID, Org string
	Created []byte // the creation answer's body
}

// World is a world, built.
type World struct {
	Orgs     map[string]*WorldOrg
	Actors   map[string]*Actor
	Sessions map[string]*WorldSession
	Order    []string          // session names, in creation order
	Devices  map[string]string // device name → its UUID
	c        *Client
}

// BuildWorld creates the orgs the steps name, each "<label> <org> <run>"
// allowing the one origin https://<label>-<org>-<run>.example (run is fresh
// per world), with the vendor's adminToken, then runs the steps through c
// (a client of the worker without credentials). Every answer must have the
// status of its step and keep Check's rules (Fits).
func BuildWorld(ctx context.Context, c *Client, adminToken, label string, steps []Step) (*World, error) {
	w := &World{Orgs: map[string]*WorldOrg{}, Actors: map[string]*Actor{}, Sessions: map[string]*WorldSession{},
		Devices: map[string]string{}, c: c}
	run := uuid.NewString()[:8]
	for _, s := range steps {
		if s.Org == "" || w.Orgs[s.Org] != nil {
			continue
		}
		origin := "https://" + strings.ToLower(label+"-"+s.Org) + "-" + run + ".example"
		r, err := c.With(Bearer(adminToken)).CreateOrg(ctx, CreateOrgRequest{Name: label + " " + s.Org + " " + run, AllowedOrigins: []string{origin}})
		if err := Fits(r.Response, err, 201); err != nil {
			return nil, fmt.Errorf("creating org %s (is the admin token the worker's ADMIN_TOKEN?): %w", s.Org, err)
		}
		w.Orgs[s.Org] = &WorldOrg{OrgCreated: r.Value, Origin: origin}
	}
	for _, s := range steps {
		if err := w.step(ctx, s); err != nil {
			return nil, fmt.Errorf("step %s: %w", s.Name, err)
		}
	}
	return w, nil
}

func (w *World) step(ctx context.Context, s Step) error {
	var r *Response
	var err error
	switch {
	case s.Contact != nil:
		body := maps.Clone(s.Contact)
		dev, _ := s.Contact["device_id"].(string)
		if w.Devices[dev] == "" {
			w.Devices[dev] = uuid.NewString()
		}
		body["device_id"] = w.Devices[dev]
		r, err = w.Widget(s.Org, "").Do(ctx, "POST", "/v1/widget/contacts", body)
	case s.Auth != nil:
		r, err = Resp(w.Server(s.Org).Authenticate(ctx, *s.Auth))
	case s.Session != nil:
		a := w.Actors[s.By]
		if a == nil {
			return fmt.Errorf("no actor %q", s.By)
		}
		r, err = w.Widget(a.Org, a.Token).Do(ctx, "POST", "/v1/widget/sessions", s.Session)
		if err := Fits(r, err, 201); err != nil {
			return err
		}
		var created SessionCreated
		if err := r.Decode(&created); err != nil || created.Session.ID == "" {
			return fmt.Errorf("no session id: %v %s", err, r.Body)
		}
		if w.Sessions[s.Name] != nil {
			return errors.New("two sessions of that name")
		}
		w.Sessions[s.Name] = &WorldSession{ID: created.Session.ID, Org: a.Org, Created: r.Body}
		w.Order = append(w.Order, s.Name)
		return nil
	case s.Say != "":
		a, sess := w.Actors[s.By], w.Sessions[s.Name]
		if a == nil || sess == nil {
			return fmt.Errorf("no actor %q or no session %q", s.By, s.Name)
		}
		m, err := w.Widget(a.Org, a.Token).PostUserMessage(ctx, sess.ID, s.Say)
		return Fits(m.Response, err, 201)
	default:
		return errors.New("the step does nothing")
	}
	if err := Fits(r, err, 200); err != nil {
		return err
	}
	var in struct {
		Token         string `json:"token"`
		Contact, User json.RawMessage
	}
	if err := r.Decode(&in); err != nil || in.Token == "" {
		return fmt.Errorf("no token: %v %s", err, r.Body)
	}
	if s.Contact != nil {
		in.User = in.Contact
	}
	var who struct{ ID string }
	_ = json.Unmarshal(in.User, &who)
	w.Actors[s.Name] = &Actor{Org: s.Org, Token: in.Token, ID: who.ID, SignIn: in.User}
	return nil
}

// Widget is a client of the widget of org o in a browser on its page, with
// userToken when it is not empty.
func (w *World) Widget(o, userToken string) *Client {
	org := w.Orgs[o]
	c := w.c.With(WidgetToken(org.Org.WidgetToken), Origin(org.Origin))
	if userToken != "" {
		c = c.With(Bearer(userToken))
	}
	return c
}

// Server is a client of org o's server (its api key).
func (w *World) Server(o string) *Client { return w.c.With(Bearer(w.Orgs[o].APIKey.Secret)) }

// Fits is Check's rules as an error, for code without a testing.T, and the
// status want: an answer was received, no 5xx, no 429, an answer that fits
// the document, no request that the document refuses accepted.
func Fits(r *Response, err error, want int) error {
	switch {
	case err != nil:
		return err
	case r.Status != want:
		return fmt.Errorf("%s: status %d, want %d\n%s", r.What(), r.Status, want, Excerpt(r))
	case r.AnswerErr != nil:
		return fmt.Errorf("%s: the answer drifts from internal/api/openapi/openapi.json: %w", r.What(), r.AnswerErr)
	case r.RequestErr != nil && r.Status < 300:
		return fmt.Errorf("%s: the worker accepted (%d) a request internal/api/openapi/openapi.json refuses: %w", r.What(), r.Status, r.RequestErr)
	}
	return nil
}
