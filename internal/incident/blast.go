package incident

import (
	"slices"
	"sort"
)

// Effect is what happens to a service when assets go out of service.
type Effect string

// Effects, from harmless to worst.
const (
	EffectNone     Effect = "none"
	EffectDegraded Effect = "degraded"
	EffectDown     Effect = "down"
)

func (e Effect) rank() int {
	switch e {
	case EffectDown:
		return 2
	case EffectDegraded:
		return 1
	}
	return 0
}

// Impact is one service's fate in a blast radius.
type Impact struct {
	ServiceID int64  `json:"service_id"`
	Service   string `json:"service"`
	// Effect with the asked-for assets out of service as well as those already down.
	Effect Effect `json:"effect"`
	// Baseline is the effect of the assets already down, before the change.
	Baseline Effect `json:"baseline"`
	// Causes names the dependencies that produce the effect.
	Causes []string `json:"causes"`
}

// Blast is the result of BlastRadius.
type Blast struct {
	// Assets are the asset IDs considered out of service: those asked about
	// and those already isolated, offline or restoring.
	Assets  []int64  `json:"assets"`
	Impacts []Impact `json:"impacts"`
	Unknown []int64  `json:"unknown,omitempty"` // asked-for IDs that are no asset
}

// BlastRadius computes which services go down or degrade when the assets in
// takeDown go out of service, on top of the assets already down. A service
// is down when a required dependency (one with no group) is down, or when
// every member of one of its redundancy groups is down; it is degraded when
// a required dependency is degraded or some, not all, of a group's members
// are impaired. Effects propagate through services until nothing changes, so
// cycles terminate. Only services with an effect are listed, worst first.
func BlastRadius(assets []Asset, services []Service, takeDown []int64) Blast {
	assetByID := make(map[int64]Asset, len(assets))
	for _, a := range assets {
		assetByID[a.ID] = a
	}
	res := Blast{Assets: []int64{}, Impacts: []Impact{}}
	base := map[int64]bool{}
	down := map[int64]bool{}
	for _, a := range assets {
		if a.Operational.Down() {
			base[a.ID] = true
			down[a.ID] = true
		}
	}
	for _, id := range takeDown {
		if _, ok := assetByID[id]; !ok {
			res.Unknown = append(res.Unknown, id)
			continue
		}
		down[id] = true
	}
	for id := range down {
		res.Assets = append(res.Assets, id)
	}
	slices.Sort(res.Assets)

	baseline, _ := propagate(assetByID, services, base)
	effect, causes := propagate(assetByID, services, down)
	for _, s := range services {
		if effect[s.ID] == EffectNone && baseline[s.ID] == EffectNone {
			continue
		}
		res.Impacts = append(res.Impacts, Impact{
			ServiceID: s.ID, Service: s.Name,
			Effect: effect[s.ID], Baseline: baseline[s.ID], Causes: causes[s.ID],
		})
	}
	sort.SliceStable(res.Impacts, func(i, j int) bool {
		a, b := res.Impacts[i], res.Impacts[j]
		if a.Effect.rank() != b.Effect.rank() {
			return a.Effect.rank() > b.Effect.rank()
		}
		return a.Service < b.Service
	})
	return res
}

func propagate(assets map[int64]Asset, services []Service, down map[int64]bool) (map[int64]Effect, map[int64][]string) {
	effect := make(map[int64]Effect, len(services))
	causes := make(map[int64][]string, len(services))
	names := make(map[int64]string, len(services))
	for _, s := range services {
		effect[s.ID] = EffectNone
		names[s.ID] = s.Name
	}
	depEffect := func(d Dependency) (Effect, string) {
		if d.Type == "asset" {
			a, ok := assets[d.ID]
			if !ok {
				return EffectNone, ""
			}
			if down[d.ID] {
				return EffectDown, "asset " + a.Name
			}
			return EffectNone, ""
		}
		e, ok := effect[d.ID]
		if !ok {
			return EffectNone, ""
		}
		return e, "service " + names[d.ID]
	}
	// Effects only get worse, so at most 2 changes per service: the loop ends.
	for changed := true; changed; {
		changed = false
		for _, s := range services {
			worst := EffectNone
			var why []string
			groups := map[string][2]int{} // group -> {members, impaired members}
			groupWhy := map[string][]string{}
			for _, d := range s.DependsOn {
				e, name := depEffect(d)
				if d.Group == "" {
					if e != EffectNone {
						why = append(why, name)
						if e.rank() > worst.rank() {
							worst = e
						}
					}
					continue
				}
				g := groups[d.Group]
				g[0]++
				if e == EffectDown {
					g[1]++
				}
				if e != EffectNone {
					groupWhy[d.Group] = append(groupWhy[d.Group], name)
				}
				groups[d.Group] = g
			}
			for gname, g := range groups {
				if len(groupWhy[gname]) == 0 {
					continue
				}
				// Some members impaired: degraded; every member down: down.
				e := EffectDegraded
				if g[1] == g[0] {
					e = EffectDown
				}
				if e.rank() > worst.rank() {
					worst = e
				}
				why = append(why, groupWhy[gname]...)
			}
			if worst.rank() > effect[s.ID].rank() {
				effect[s.ID] = worst
				changed = true
			}
			slices.Sort(why)
			causes[s.ID] = slices.Compact(why)
		}
	}
	return effect, causes
}
