package web

import (
	"errors"
	"net/http"
	"strings"

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

// ---- console ----

// addWebhookForm adds a webhook subscriber and shows its signing secret on
// the page it answers with (not through a redirect: the secret must not
// travel in a URL).
func (s *Server) addWebhookForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	// The fields are named apart from the page settings' "url", which is
	// on the same page.
	comps := strings.FieldsFunc(fm.Get("webhook_components"), func(r rune) bool { return r == ',' || r == ' ' })
	if strings.TrimSpace(fm.Get("webhook_url")) == "" {
		fm.fail("webhook_url", "required")
	}
	if !fm.Invalid() {
		sub, secret, err := s.st.AddWebhook(r.Context(), c.user.Name, strings.TrimSpace(fm.Get("webhook_url")), comps, s.opt.AllowPrivateWebhooks)
		if err == nil {
			return s.renderStatusWith(w, r, c, http.StatusOK, nil, func(v *statusView) { v.NewWebhook = &webhookCreated{Subscriber: sub, Secret: secret} })
		}
		var ve *incident.ValidationError
		switch {
		case classify(err).code == "conflict":
			fm.fail("webhook_url", "this webhook is already a subscriber")
		case errors.As(err, &ve):
			fm.fail("webhook_"+strings.SplitN(ve.Field, "[", 2)[0], ve.Reason)
		default:
			return err
		}
	}
	return s.renderStatus(w, r, c, http.StatusUnprocessableEntity, fm)
}

// deleteSubscriberForm removes a subscriber (an e-mail address or a
// webhook): it gets no more notices.
func (s *Server) deleteSubscriberForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.st.DeleteSubscriber(r.Context(), c.user.Name, id); err != nil {
		return err
	}
	return seeOther(w, r, "/status#subscribers-h")
}
