package notify

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Size limits of public input.
const (
	// MaxFormBytes bounds a sign-up, confirm or unsubscribe request body.
	MaxFormBytes = 8 << 10
	// TokenLen is the length of a confirmation or unsubscribe token.
	TokenLen = 43
)

// Signup is a parsed sign-up form.
type Signup struct {
	Email      string
	Components []string // public ids; empty means all
}

var componentID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseSignup reads a sign-up form: "email" (one plain address) and any
// number of "component" values (component public ids; none means all).
// Unknown fields are refused, so that a typo does not silently subscribe
// someone to everything.
func ParseSignup(v url.Values) (Signup, error) {
	var s Signup
	for k := range v {
		if k != "email" && k != "component" {
			return s, &incident.ValidationError{Field: k, Reason: "is not a field of this form"}
		}
	}
	emails := v["email"]
	switch {
	case len(emails) == 0:
		return s, &incident.ValidationError{Field: "email", Reason: "is required"}
	case len(emails) > 1:
		return s, &incident.ValidationError{Field: "email", Reason: "give one address"}
	}
	addr, err := incident.NormalizeEmail(emails[0])
	if err != nil {
		return s, err
	}
	s.Email = addr
	if n := len(v["component"]); n > incident.MaxSubComponents {
		return s, &incident.ValidationError{Field: "component", Reason: fmt.Sprintf("%d components chosen, the limit is %d", n, incident.MaxSubComponents)}
	}
	for _, c := range v["component"] {
		if !componentID.MatchString(c) {
			return s, &incident.ValidationError{Field: "component", Reason: fmt.Sprintf("%.70q is not a component id", c)}
		}
		if !slices.Contains(s.Components, c) {
			s.Components = append(s.Components, c)
		}
	}
	return s, nil
}

// ParseToken checks the shape of a confirmation or unsubscribe token: 43
// base64url characters (256 bits).
func ParseToken(s string) (string, error) {
	if s == "" {
		return "", errors.New("the link has no token")
	}
	if len(s) != TokenLen {
		return "", fmt.Errorf("the link's token is %d characters long, want %d: was the link cut off?", len(s), TokenLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", errors.New("the link's token has characters a token never has")
		}
	}
	return s, nil
}
