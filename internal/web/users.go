package web

import (
	"net/http"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ *caller) error {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[incident.User]{Items: users})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name      string        `json:"name"`
		Role      incident.Role `json:"role"`
		Password  string        `json:"password"`
		ExpiresAt *time.Time    `json:"expires_at"`
		Incidents []string      `json:"incidents"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := auth.CheckPassword(in.Password); err != nil {
		return &incident.ValidationError{Field: "password", Reason: err.Error()}
	}
	if in.Role == incident.RoleGuest && in.ExpiresAt == nil {
		return &incident.ValidationError{Field: "expires_at", Reason: "is required for guests: outside access must end"}
	}
	hash, err := auth.HashPassword(in.Password, s.opt.Passwords)
	if err != nil {
		return err
	}
	u, err := s.st.CreateUser(r.Context(), c.user.Name, incident.User{Name: in.Name, Role: in.Role, ExpiresAt: in.ExpiresAt, Incidents: in.Incidents}, hash)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		store.UserPatch
		Password *string `json:"password"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Password != nil {
		if err := auth.CheckPassword(*in.Password); err != nil {
			return &incident.ValidationError{Field: "password", Reason: err.Error()}
		}
		if in.PasswordHash, err = auth.HashPassword(*in.Password, s.opt.Passwords); err != nil {
			return err
		}
	}
	u, err := s.st.UpdateUser(r.Context(), c.user.Name, id, in.UserPatch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}
