package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

func checkEnumErr[T ~string](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return &incident.ValidationError{Field: field, Reason: fmt.Sprintf("%q is not one of %v", string(v), allowed)}
}

func requiredText(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &incident.ValidationError{Field: field, Reason: "is required"}
	}
	if len(v) > incident.MaxText {
		return &incident.ValidationError{Field: field, Reason: fmt.Sprintf("is longer than %d bytes", incident.MaxText)}
	}
	return nil
}

func firstValid(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
