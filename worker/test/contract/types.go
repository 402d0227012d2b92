package contract

// The contract's objects, as the worker answers them. Nullable fields are
// pointers (nil for JSON null); so is verified, so that a test can tell a
// missing field from false.

type Org struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	WidgetToken    string   `json:"widget_token"`
	AllowedOrigins []string `json:"allowed_origins"`
	CreatedAt      string   `json:"created_at"`
}

type APIKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type OrgCreated struct {
	Org    Org    `json:"org"`
	APIKey APIKey `json:"api_key"`
}

type OrgShown struct {
	Org Org `json:"org"`
}

type APIKeyInfo struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
}

type OrgWithKeys struct {
	Org     Org          `json:"org"`
	APIKeys []APIKeyInfo `json:"api_keys"`
}

type APIKeyCreated struct {
	APIKey APIKey `json:"api_key"`
}

type User struct {
	ID         string         `json:"id"`
	UserID     *string        `json:"user_id"`
	Email      *string        `json:"email"`
	Name       *string        `json:"name"`
	AvatarURL  *string        `json:"avatar_url"`
	Phone      *string        `json:"phone"`
	CustomData map[string]any `json:"custom_data"`
	ExternalID *string        `json:"external_id"`
	Verified   *bool          `json:"verified"`
}

type Authenticated struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	User      User   `json:"user"`
}

type Revoked struct {
	RevokedBefore string `json:"revoked_before"`
}

type Contact struct {
	ID                    string         `json:"id"`
	Name                  *string        `json:"name"`
	Email                 *string        `json:"email"`
	NonVerifiedCustomData map[string]any `json:"non_verified_custom_data"`
	Verified              *bool          `json:"verified"`
}

type ContactSignedIn struct {
	Token     string  `json:"token"`
	ExpiresAt string  `json:"expires_at"`
	Contact   Contact `json:"contact"`
}

// Me is GET /v1/widget/me: one of the two is set.
type Me struct {
	Contact *Contact `json:"contact"`
	User    *User    `json:"user"`
}

// Owner is whose session it is, in the org's views.
type Owner struct {
	Kind   string  `json:"kind"` // "contact" or "user"
	ID     string  `json:"id"`
	UserID *string `json:"user_id,omitempty"`
	Email  *string `json:"email,omitempty"`
}

type Session struct {
	ID                    string         `json:"id"`
	CreatedAt             string         `json:"created_at"`
	UpdatedAt             string         `json:"updated_at"`
	Verified              *bool          `json:"verified"`
	ExternalID            *string        `json:"external_id"`
	NonVerifiedCustomData map[string]any `json:"non_verified_custom_data"`
	LastMessage           *Message       `json:"last_message"`
	ClaimedAt             *string        `json:"claimed_at"`
	Owner                 *Owner         `json:"owner,omitempty"` // the org's views only
}

type Message struct {
	ID         string  `json:"id"`
	SessionID  string  `json:"session_id"`
	Role       string  `json:"role"`
	Content    string  `json:"content"`
	AuthorName *string `json:"author_name"`
	CreatedAt  string  `json:"created_at"`
}

type SessionCreated struct {
	Session Session `json:"session"`
}

type MessageCreated struct {
	Message Message `json:"message"`
}

type SessionList struct {
	Items      []Session `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

type SessionDetail struct {
	Session  Session   `json:"session"`
	Messages []Message `json:"messages"`
}

type Claimed struct {
	Claimed []Session `json:"claimed"`
}

// Export is GET /v1/users/export (User set) or /v1/contacts/{id}/export
// (Contact set).
type Export struct {
	User       *User           `json:"user,omitempty"`
	Contact    *Contact        `json:"contact,omitempty"`
	Sessions   []SessionDetail `json:"sessions"`
	NextCursor *string         `json:"next_cursor"`
}

type Deletion struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"` // "pending" or "done"
	RequestedAt string  `json:"requested_at"`
	CompletedAt *string `json:"completed_at,omitempty"`
	Sessions    *int    `json:"sessions,omitempty"`
	Messages    *int    `json:"messages,omitempty"`
}

type DeletionAnswer struct {
	Deletion Deletion `json:"deletion"`
}

type Webhook struct {
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Secret    string   `json:"secret,omitempty"`
	CreatedAt string   `json:"created_at"`
}

type WebhookAnswer struct {
	Webhook Webhook `json:"webhook"`
}

type WebhookSecret struct {
	Secret string `json:"secret"`
}

type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

type JWKS struct {
	Keys []JWK `json:"keys"`
}

// The requests of the typed routes. Empty fields are left out; to send an
// empty or a wrong value, use Do with a map or Raw.

type CreateOrgRequest struct {
	Name           string   `json:"name"`
	AllowedOrigins []string `json:"allowed_origins"`
}

type UpdateOrgRequest struct {
	Name           *string  `json:"name,omitempty"`
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
}

type AuthenticateRequest struct {
	UserID     string         `json:"user_id,omitempty"`
	Email      string         `json:"email,omitempty"`
	Name       string         `json:"name,omitempty"`
	AvatarURL  string         `json:"avatar_url,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	CustomData map[string]any `json:"custom_data,omitempty"`
	ExternalID string         `json:"external_id,omitempty"`
	TTLSeconds int64          `json:"ttl_seconds,omitempty"`
}

// Identity names a verified identity: by user_id, else by email.
type Identity struct {
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
}

type ContactRequest struct {
	DeviceID   string         `json:"device_id"`
	Name       string         `json:"name,omitempty"`
	Email      string         `json:"email,omitempty"`
	CustomData map[string]any `json:"custom_data,omitempty"`
}

type SessionRequest struct {
	ExternalID string         `json:"external_id,omitempty"`
	CustomData map[string]any `json:"custom_data,omitempty"`
}

type MessageRequest struct {
	Content    string `json:"content"`
	AuthorName string `json:"author_name,omitempty"` // agent messages only
}

type WebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
}

// Page asks for one page of a listing.
type Page struct {
	Cursor string
	Limit  int // 0: the worker's default
}
