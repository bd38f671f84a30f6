package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Page names the public status page in messages.
type Page struct {
	Name string // "Example Corp status"
	URL  string // its public address, such as https://status.example.com
}

func (p Page) base() string { return strings.TrimRight(p.URL, "/") }

// ConfirmURL is the link in a confirmation mail.
func (p Page) ConfirmURL(token string) string {
	return p.base() + "/subscribe/confirm?token=" + url.QueryEscape(token)
}

// UnsubscribeURL is the link in every mail, and the List-Unsubscribe target.
func (p Page) UnsubscribeURL(token string) string {
	return p.base() + "/unsubscribe?token=" + url.QueryEscape(token)
}

// EventURL is the public page of an incident or maintenance.
func (p Page) EventURL(eventID string) string {
	return p.base() + "/incidents/" + url.PathEscape(eventID)
}

// subjects says, per notice kind, how a subject starts.
var subjects = map[string]string{
	"incident.created":      "New incident",
	"incident.updated":      "Incident update",
	"incident.resolved":     "Resolved",
	"maintenance.scheduled": "Scheduled maintenance",
	"maintenance.started":   "Maintenance in progress",
	"maintenance.updated":   "Maintenance update",
	"maintenance.completed": "Maintenance completed",
}

// statusLabels are the public statuses as people read them.
var statusLabels = map[string]string{
	"investigating": "Investigating",
	"identified":    "Identified",
	"monitoring":    "Monitoring",
	"resolved":      "Resolved",
	"scheduled":     "Scheduled",
	"in_progress":   "In progress",
	"verifying":     "Verifying",
	"completed":     "Completed",
}

func statusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return oneLine(s, 40)
}

// NoticeText returns the subject and plain-text body of a notice mail.
// Only the notice's public fields and the page's name and URL are used.
func NoticeText(p Page, n incident.PublicNotice, unsubscribeURL string) (subject, body string) {
	lead, ok := subjects[n.Kind]
	if !ok {
		lead = "Update"
	}
	name := oneLine(n.EventName, 150)
	subject = fmt.Sprintf("[%s] %s: %s", oneLine(p.Name, 60), lead, name)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", name)
	fmt.Fprintf(&b, "%s — %s\n\n", statusLabel(n.Status), n.At.UTC().Format("2 Jan 2006 15:04 UTC"))
	if body := strings.TrimSpace(n.Body); body != "" {
		b.WriteString(body)
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "Details: %s\n", p.EventURL(n.EventID))
	fmt.Fprintf(&b, "Status page: %s\n\n", p.base())
	fmt.Fprintf(&b, "-- \nYou receive this because you subscribed to %s.\nUnsubscribe: %s\n", oneLine(p.Name, 60), unsubscribeURL)
	return subject, b.String()
}

// ConfirmText returns the subject and body of the double opt-in mail.
func ConfirmText(p Page, confirmURL, unsubscribeURL string) (subject, body string) {
	name := oneLine(p.Name, 60)
	subject = fmt.Sprintf("[%s] Confirm your subscription", name)
	body = fmt.Sprintf(`Someone, probably you, asked to be told by e-mail about incidents and
maintenance on %s (%s).

To confirm, open this link and press the button:

%s

If you did not ask for this, ignore this mail: nothing will be sent
unless the subscription is confirmed. The link works for 7 days.
To make sure, you can also cancel it: %s
`, name, p.base(), confirmURL, unsubscribeURL)
	return subject, body
}

// WebhookPayload is the JSON body of a webhook request.
type WebhookPayload struct {
	ID        string        `json:"id"` // the delivery id, also in the Firebreak-Delivery header
	Type      string        `json:"type"`
	CreatedAt time.Time     `json:"created_at"`
	Page      WebhookPage   `json:"page"`
	Event     WebhookNotice `json:"event"`
}

// WebhookPage names the page in a webhook payload.
type WebhookPage struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// WebhookNotice is the notice in a webhook payload.
type WebhookNotice struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	UpdateID     string    `json:"update_id"`
	Status       string    `json:"status"`
	Body         string    `json:"body"`
	ComponentIDs []string  `json:"component_ids"`
	At           time.Time `json:"at"`
}

// DeliveryID is a delivery's id in webhook headers and payloads: the same
// on every try.
func DeliveryID(d incident.Delivery) string {
	return fmt.Sprintf("fbd_%d_%d", d.ID, d.CreatedAt.UnixNano())
}

// webhookBody renders the payload of a notice delivery.
func webhookBody(p Page, d incident.Delivery) ([]byte, error) {
	n := d.Notice
	comps := n.ComponentIDs
	if comps == nil {
		comps = []string{}
	}
	return json.Marshal(WebhookPayload{
		ID: DeliveryID(d), Type: n.Kind, CreatedAt: d.CreatedAt.UTC(),
		Page: WebhookPage{Name: p.Name, URL: p.base()},
		Event: WebhookNotice{ID: n.EventID, Name: n.EventName, URL: p.EventURL(n.EventID), UpdateID: n.UpdateID,
			Status: n.Status, Body: n.Body, ComponentIDs: comps, At: n.At.UTC()},
	})
}
