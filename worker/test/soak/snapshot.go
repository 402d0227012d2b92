package soak

// Snapshot is everything read back at the end of a run.
type Snapshot struct {
	Orgs       []OrgReadback       // by org index
	Principals []PrincipalReadback // in World.Principals order
	// Probes are the GETs of sessions by id, by their owners, by the other
	// principals of their org, and by other orgs (widget and server).
	Probes []Probe
	// ReadErrors are reads that got no usable answer.
	ReadErrors []string
}

// OrgReadback is what the org's server read.
type OrgReadback struct {
	Org    int
	Listed []string // GET /v1/sessions, every page, in order
	// Filtered are the listings with a filter, by query (e.g. "verified=true").
	Filtered map[string][]string
	// Sessions are GET /v1/sessions/{id} of every listed or acknowledged
	// session of the org that answered 200.
	Sessions map[string]StoredSession
}

// PrincipalReadback is what one principal's widget read.
type PrincipalReadback struct {
	Principal string
	Listed    []string // GET /v1/widget/sessions, every page, in order
	// Sessions are GET /v1/widget/sessions/{id} of its listed or
	// acknowledged sessions that answered 200.
	Sessions map[string]StoredSession
}

// StoredSession is a session and its messages as the worker returned them.
type StoredSession struct {
	ID         string
	Verified   bool
	ExternalID string // "" for null
	Ref        string // custom_data.soak_ref
	Messages   []StoredMessage
}

// StoredMessage is a message as the worker returned it.
type StoredMessage struct {
	ID, SessionID, Role, Content string
}

// Probe is one GET of a session by id and its status.
type Probe struct {
	Who       string // a principal's name, or "o2/server"
	SessionID string
	Status    int
}
