package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// TestStatusStepsRaceAcrossReplicas: two stores (two replicas) on one
// PostgreSQL database race to take the same step on the same update
// (exactly one wins, every time), or to approve and discard it (never a
// discarded update approved).
func TestStatusStepsRaceAcrossReplicas(t *testing.T) {
	db := postgres(t)(t)
	a, b := db.open(t, true), db.open(t, false)
	ctx := context.Background()
	c, err := a.CreateComponent(ctx, "admin", store.StatusComponent{Name: "Portal"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := a.CreateStatusEvent(ctx, "carol", store.NewStatusEvent{Name: "Portal down",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "x", Affected: []store.Affected{{ComponentID: c.ID, Status: incident.StatusMajor}}}})
	if err != nil {
		t.Fatal(err)
	}
	race := func(f, g func() error) (int, int) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); errs[0] = f() }()
		go func() { defer wg.Done(); errs[1] = g() }()
		wg.Wait()
		ok, state := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrState):
				state++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		return ok, state
	}
	for round := 0; round < 10; round++ {
		d, err := a.DraftStatusUpdate(ctx, "carol", ev.ID, store.NewStatusUpdate{Status: "identified", Body: "y"})
		if err != nil {
			t.Fatal(err)
		}
		approve := func(s *store.Store, who string) func() error {
			return func() error { _, err := s.ApproveStatusUpdate(ctx, who, d.ID); return err }
		}
		discard := func() error { return b.DiscardStatusUpdate(ctx, "carol", d.ID) }
		if round%2 == 0 {
			// An approved update may still be discarded, so both may
			// succeed — but only in that order: a discarded update is
			// never approved, and the outcome is one of the two states.
			ok, st := race(approve(a, "dave"), discard)
			got, err := a.StatusEvent(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			var u store.StatusUpdate
			for _, x := range got.Updates {
				if x.ID == d.ID {
					u = x
				}
			}
			switch {
			case ok == 2 && st == 0 && u.State == store.UpdateDiscarded && u.ApprovedBy == "dave":
			case ok == 1 && st == 1 && (u.State == store.UpdateDiscarded && u.ApprovedBy == "" || u.State == store.UpdateApproved && u.ApprovedBy == "dave"):
			default:
				t.Fatalf("round %d: approve vs discard: %d succeeded, %d refused, update %+v", round, ok, st, u)
			}
			continue
		}
		if ok, st := race(approve(a, "dave"), approve(b, "erin")); ok != 1 || st != 1 {
			t.Fatalf("round %d: two approvals: %d succeeded, %d refused", round, ok, st)
		}
		publish := func(s *store.Store) func() error {
			return func() error { _, err := s.PublishStatusUpdate(ctx, "carol", d.ID); return err }
		}
		if ok, st := race(publish(a), publish(b)); ok != 1 || st != 1 {
			t.Fatalf("round %d: two publishes: %d succeeded, %d refused", round, ok, st)
		}
	}
}
