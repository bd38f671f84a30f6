package web

import (
	"net/http"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Subscribers of the public page: listing them, adding webhooks, removing
// either. E-mail subscribers sign up on the public plane (internal/notify).

func (s *Server) listSubscribers(w http.ResponseWriter, r *http.Request, _ *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.ListSubscribers(r.Context(), p)
	if err != nil {
		return err
	}
	return paged(w, p, items, func(x incident.Subscriber) int64 { return x.ID })
}

// webhookCreated is the answer to adding a webhook: the only time its
// signing secret is shown.
type webhookCreated struct {
	Subscriber incident.Subscriber `json:"subscriber"`
	Secret     string              `json:"secret"`
}

func (s *Server) addWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		URL        string   `json:"url"`
		Components []string `json:"components"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	sub, secret, err := s.st.AddWebhook(r.Context(), c.user.Name, in.URL, in.Components, s.opt.AllowPrivateWebhooks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookCreated{Subscriber: sub, Secret: secret})
	return nil
}

func (s *Server) deleteSubscriber(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteSubscriber(r.Context(), c.user.Name, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) outboxCounts(w http.ResponseWriter, r *http.Request, _ *caller) error {
	counts, err := s.st.OutboxCounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, counts)
	return nil
}
