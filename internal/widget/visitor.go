package widget

import (
	"errors"
	"strconv"

	"github.com/chatwidget/identity/internal/identity"
)

// shownError is an error with the sentence the visitor is shown for it.
type shownError struct {
	text string
	err  error
}

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// The sentences VisitorMessage shows.
const (
	msgUnreachable  = "The chat service cannot be reached. Please try again in a moment."
	msgUnavailable  = "The chat service is not available right now. Please try again later."
	msgRateLimited  = "Too many messages at once. Please wait a moment and try again."
	msgNeedsForm    = "Please tell us your name and email first."
	msgSignIn       = "Your session has ended. Please sign in again, or reload the page, to chat."
	msgNotHere      = "The chat is not available on this page."
	msgGone         = "This conversation is no longer available."
	msgSomethingBad = "Something went wrong. Please try again."
)

var msgTooLong = "This message is too long: please keep it to " + strconv.Itoa(identity.MaxContentChars) + " characters."

// VisitorMessage is err as the visitor is shown it in the panel: a short
// sentence for a person, never the error's chain (which names Go packages,
// codes and the page's own mistakes: those go to the console, for the site's
// developer). A form error's message is already one.
func VisitorMessage(err error) string {
	var se *shownError
	var fe *FormError
	var ae *APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.text
	case errors.As(err, &fe):
		return fe.Message
	case errors.Is(err, ErrNetwork):
		return msgUnreachable
	case errors.Is(err, ErrNeedsUserData):
		return msgNeedsForm
	case errors.Is(err, ErrNoUserToken):
		return msgSignIn
	case errors.As(err, &ae):
		switch {
		case ae.Status == 429:
			return msgRateLimited
		case ae.Status >= 500:
			return msgUnavailable
		case ae.Status == 401:
			return msgSignIn
		case ae.Status == 403:
			return msgNotHere
		case ae.Status == 404:
			return msgGone
		case ae.Status == 413:
			return msgTooLong
		}
	}
	return msgSomethingBad
}
