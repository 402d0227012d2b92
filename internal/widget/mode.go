package widget

// Mode is how the widget identifies the person chatting.
type Mode string

// The identity modes, from the most to the least trusted. A config selects
// the first that applies.
const (
	// ModeVerified: user.token (or getToken) from the org's server; the user
	// sees their chats from any device.
	ModeVerified Mode = "verified"
	// ModeUserData: user.data from the page; non-verified, chats of this
	// device only.
	ModeUserData Mode = "userData"
	// ModeCollectUserData: the widget asks name and email before the first
	// chat; non-verified, chats of this device only.
	ModeCollectUserData Mode = "collectUserData"
	// ModeAnonymous: nobody is named; chats of this device only.
	ModeAnonymous Mode = "anonymous"
)

// Mode returns the identity mode the config selects: verified when there is
// a user.token or getToken, else user data when there is user.data, else
// collectUserData when it is true, else anonymous.
func (c *Config) Mode() Mode {
	switch {
	case c.UserToken != "" || c.GetToken != nil:
		return ModeVerified
	case c.UserData != nil:
		return ModeUserData
	case c.CollectUserData:
		return ModeCollectUserData
	}
	return ModeAnonymous
}
