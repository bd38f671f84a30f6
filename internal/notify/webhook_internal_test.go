package notify

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDialRefusesInternal checks the connection-time guard itself, which
// also catches names that resolve to internal addresses (DNS rebinding):
// the URL check is bypassed here on purpose.
func TestDialRefusesInternal(t *testing.T) {
	hit := false
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer ts.Close()
	tests := []struct {
		allowPrivate bool
		wantRefused  bool
	}{{false, true}, {true, false}}
	for _, tc := range tests {
		s := NewWebhookSender(WebhookOptions{AllowPrivate: tc.allowPrivate})
		resp, err := s.client.Get(ts.URL)
		if err == nil {
			resp.Body.Close()
		}
		if refused := errors.Is(err, errInternalAddress); refused != tc.wantRefused {
			t.Errorf("AllowPrivate=%v: GET %s = %v, refused %v, want %v", tc.allowPrivate, ts.URL, err, refused, tc.wantRefused)
		}
	}
	if !hit {
		t.Error("with AllowPrivate the server was not reached")
	}
}
