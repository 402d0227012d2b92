package identity

// The six access rules of the contract, as plain functions.
//
//  1. A contact token sees exactly the sessions created with a contact token
//     of its org and device, less those claimed.
//  2. A verified token sees exactly the sessions created with a verified token
//     of its org and identity key, and those that identity claimed, from any
//     device.
//  3. The two never cross, but for a claim (Claimable).
//  4. An external id signed into a verified token is given to every session
//     it creates, scopes everything it lists, and a request naming another one
//     is refused with external_id_mismatch. Otherwise a request's external_id
//     scopes what it creates and lists; a listing without one returns all.
//  5. A token for another org than the widget token's is refused (token
//     verification checks the audience).
//  6. Whatever the browser sends is stored as non-verified custom data and
//     never overwrites verified data (the store keeps them in separate fields).
//
// Rules 1 to 3 are CanSee: ownership is the principal's key, which holds the
// kind, and the org. A session's Owner is who holds it now; its Verified is
// how it was created. They differ only for a claimed session: its Owner is
// the verified identity that claimed it (so that identity sees it and the
// contact no longer does), while Verified stays false and ClaimedAt is set,
// because what the browser wrote in it is still the browser's (rule 6).

// CanSee reports whether p may see session s (rules 1 to 4).
func CanSee(p Principal, s *Session) bool {
	if s == nil || s.OrgID != p.OrgID || s.Owner.Key != p.Key() || s.Owner.Verified != p.Verified() {
		return false
	}
	if p.ExternalID != "" && s.ExternalIDValue() != p.ExternalID {
		return false
	}
	return true
}

// Claimable reports whether the verified principal v, proving it holds the
// contact token of contact c (both of v's org), takes session s in a claim:
// s is c's, and when v's token binds an external id, s has that one (the
// others stay with the device).
func Claimable(v, c Principal, s *Session) bool {
	if !v.Verified() || c.Verified() || v.OrgID != c.OrgID || !CanSee(c, s) {
		return false
	}
	return v.ExternalID == "" || s.ExternalIDValue() == v.ExternalID
}

// ScopeExternalID applies rule 4 to the external_id a request names
// (nil when none): it returns the external id to create or list with, "" for
// none, or ErrExternalIDMismatch.
//
// A requested value that is no valid external id is invalid_request for
// every caller, a bound one too: what is wrong is the value, whatever the
// token says.
func ScopeExternalID(p Principal, requested *string) (string, error) {
	if requested != nil {
		if err := ValidateIdentifier("external_id", *requested); err != nil {
			return "", err
		}
	}
	if p.ExternalID != "" {
		if requested != nil && *requested != p.ExternalID {
			return "", ErrExternalIDMismatch
		}
		return p.ExternalID, nil
	}
	if requested == nil {
		return "", nil
	}
	return *requested, nil
}
