package widget

import (
	"strings"

	"github.com/chatwidget/identity/internal/identity"
)

// FormError is a wrong field of the collectUserData form. errors.Is(err,
// ErrInvalidForm) matches it.
type FormError struct {
	// Field is "name" or "email", the form field's data-widget hook.
	Field string
	// Message is a sentence for the person filling in the form.
	Message string
}

func (e *FormError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrInvalidForm) true.
func (e *FormError) Is(target error) bool { return target == ErrInvalidForm }

// ValidateForm checks the collectUserData form: a name (1 to 200 characters)
// and a valid email, both required. It returns them trimmed.
func ValidateForm(name, email string) (Profile, error) {
	n, err := identity.ValidateName("name", name, identity.MaxNameChars)
	if err != nil {
		return Profile{}, &FormError{Field: "name", Message: "Please enter a shorter name without control characters."}
	}
	if n == "" {
		return Profile{}, &FormError{Field: "name", Message: "Please enter your name."}
	}
	if strings.TrimSpace(email) == "" {
		return Profile{}, &FormError{Field: "email", Message: "Please enter your email address."}
	}
	e, err := identity.NormalizeEmail("email", email)
	if err != nil {
		return Profile{}, &FormError{Field: "email", Message: "Please enter a valid email address, such as name@example.com."}
	}
	return Profile{Name: n, Email: e}, nil
}
