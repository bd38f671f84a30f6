package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/notify"
	"github.com/firebreak-ir/firebreak/internal/store"
)

func TestNoticeText(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	tests := []struct {
		kind        store.NoticeKind
		status      string
		wantSubject string
		wantStatus  string
	}{
		{store.NoticeIncidentCreated, "investigating", "[Example status] New incident: Portal unavailable", "Investigating"},
		{store.NoticeIncidentUpdated, "identified", "[Example status] Incident update: Portal unavailable", "Identified"},
		{store.NoticeIncidentResolved, "resolved", "[Example status] Resolved: Portal unavailable", "Resolved"},
		{store.NoticeMaintenanceScheduled, "scheduled", "[Example status] Scheduled maintenance: Portal unavailable", "Scheduled"},
		{store.NoticeMaintenanceStarted, "in_progress", "[Example status] Maintenance in progress: Portal unavailable", "In progress"},
		{store.NoticeMaintenanceUpdated, "verifying", "[Example status] Maintenance update: Portal unavailable", "Verifying"},
		{store.NoticeMaintenanceCompleted, "completed", "[Example status] Maintenance completed: Portal unavailable", "Completed"},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			n := incident.PublicNotice{Kind: string(tc.kind), EventID: "ev1", EventName: "Portal unavailable", UpdateID: "u1",
				Status: tc.status, Body: "We are on it.", At: at}
			subject, body := notify.NoticeText(testPage, n, "https://status.example.com/unsubscribe?token=T")
			if subject != tc.wantSubject {
				t.Errorf("subject = %q, want %q", subject, tc.wantSubject)
			}
			for _, want := range []string{tc.wantStatus + " — 14 Mar 2026 09:26 UTC", "We are on it.", "https://status.example.com/incidents/ev1", "Unsubscribe: https://status.example.com/unsubscribe?token=T"} {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
		})
	}
	// A name that tries to break the subject line stays on one line.
	subject, _ := notify.NoticeText(testPage, incident.PublicNotice{Kind: "incident.created", EventName: "x\r\nBcc: eve@example.com"}, "u")
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject %q has a line break", subject)
	}
}
