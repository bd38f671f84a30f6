package incident

import (
	"reflect"
	"slices"
	"testing"
)

func asset(id int64, name string, op Operational) Asset {
	return Asset{ID: id, Name: name, Kind: AssetHost, Criticality: CriticalityHigh, Compromise: CompromiseUnknown, Operational: op}
}

func service(id int64, name string, deps ...Dependency) Service {
	return Service{ID: id, Name: name, Status: StatusOperational, DependsOn: deps}
}

func needsAsset(id int64) Dependency   { return Dependency{Type: "asset", ID: id} }
func needsService(id int64) Dependency { return Dependency{Type: "service", ID: id} }
func assetIn(group string, id int64) Dependency {
	return Dependency{Type: "asset", ID: id, Group: group}
}
func serviceIn(group string, id int64) Dependency {
	return Dependency{Type: "service", ID: id, Group: group}
}
func impact(id int64, name string, effect, baseline Effect, causes ...string) Impact {
	return Impact{ServiceID: id, Service: name, Effect: effect, Baseline: baseline, Causes: causes}
}

func TestBlastRadius(t *testing.T) {
	online := func(id int64, name string) Asset { return asset(id, name, OpOnline) }
	tests := []struct {
		name     string
		assets   []Asset
		services []Service
		takeDown []int64
		want     Blast
	}{
		{
			name:     "nothing taken down",
			assets:   []Asset{online(1, "db")},
			services: []Service{service(10, "shop", needsAsset(1))},
			want:     Blast{},
		},
		{
			name:     "required asset down takes the service down",
			assets:   []Asset{online(1, "web"), online(2, "db")},
			services: []Service{service(10, "shop", needsAsset(1), needsAsset(2))},
			takeDown: []int64{2},
			want: Blast{
				Assets:  []int64{2},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset db")},
			},
		},
		{
			name:     "unrelated service is not listed",
			assets:   []Asset{online(1, "db"), online(2, "mail")},
			services: []Service{service(10, "shop", needsAsset(1)), service(20, "email", needsAsset(2))},
			takeDown: []int64{1},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset db")},
			},
		},
		{
			name:     "one of two redundant members down degrades",
			assets:   []Asset{online(1, "app-a"), online(2, "app-b")},
			services: []Service{service(10, "shop", assetIn("app", 1), assetIn("app", 2))},
			takeDown: []int64{1},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDegraded, EffectNone, "asset app-a")},
			},
		},
		{
			name:     "both redundant members down takes the service down",
			assets:   []Asset{online(1, "app-a"), online(2, "app-b")},
			services: []Service{service(10, "shop", assetIn("app", 1), assetIn("app", 2))},
			takeDown: []int64{2, 1},
			want: Blast{
				Assets:  []int64{1, 2},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset app-a", "asset app-b")},
			},
		},
		{
			name:   "one member down in each of two groups only degrades",
			assets: []Asset{online(1, "app-a"), online(2, "app-b"), online(3, "db-a"), online(4, "db-b")},
			services: []Service{service(10, "shop",
				assetIn("app", 1), assetIn("app", 2), assetIn("db", 3), assetIn("db", 4))},
			takeDown: []int64{1, 3},
			want: Blast{
				Assets:  []int64{1, 3},
				Impacts: []Impact{impact(10, "shop", EffectDegraded, EffectNone, "asset app-a", "asset db-a")},
			},
		},
		{
			name:     "a single-member group behaves like a required dependency",
			assets:   []Asset{online(1, "db")},
			services: []Service{service(10, "shop", assetIn("db", 1))},
			takeDown: []int64{1},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset db")},
			},
		},
		{
			name:   "down propagates through services",
			assets: []Asset{online(1, "db")},
			services: []Service{
				service(30, "web", needsService(20)),
				service(20, "api", needsService(10)),
				service(10, "store", needsAsset(1)),
			},
			takeDown: []int64{1},
			want: Blast{
				Assets: []int64{1},
				Impacts: []Impact{
					impact(20, "api", EffectDown, EffectNone, "service store"),
					impact(10, "store", EffectDown, EffectNone, "asset db"),
					impact(30, "web", EffectDown, EffectNone, "service api"),
				},
			},
		},
		{
			name:   "degraded propagates through a required service dependency",
			assets: []Asset{online(1, "api-a"), online(2, "api-b")},
			services: []Service{
				service(10, "api", assetIn("pool", 1), assetIn("pool", 2)),
				service(20, "web", needsService(10)),
			},
			takeDown: []int64{2},
			want: Blast{
				Assets: []int64{2},
				Impacts: []Impact{
					impact(10, "api", EffectDegraded, EffectNone, "asset api-b"),
					impact(20, "web", EffectDegraded, EffectNone, "service api"),
				},
			},
		},
		{
			name:   "redundant services: one down degrades, the dependant is not down",
			assets: []Asset{online(1, "eu-host"), online(2, "us-host")},
			services: []Service{
				service(10, "api-eu", needsAsset(1)),
				service(11, "api-us", needsAsset(2)),
				service(20, "web", serviceIn("api", 10), serviceIn("api", 11)),
			},
			takeDown: []int64{1},
			want: Blast{
				Assets: []int64{1},
				Impacts: []Impact{
					impact(10, "api-eu", EffectDown, EffectNone, "asset eu-host"),
					impact(20, "web", EffectDegraded, EffectNone, "service api-eu"),
				},
			},
		},
		{
			name:   "redundant services: all down takes the dependant down",
			assets: []Asset{online(1, "eu-host"), online(2, "us-host")},
			services: []Service{
				service(10, "api-eu", needsAsset(1)),
				service(11, "api-us", needsAsset(2)),
				service(20, "web", serviceIn("api", 10), serviceIn("api", 11)),
			},
			takeDown: []int64{1, 2},
			want: Blast{
				Assets: []int64{1, 2},
				Impacts: []Impact{
					impact(10, "api-eu", EffectDown, EffectNone, "asset eu-host"),
					impact(11, "api-us", EffectDown, EffectNone, "asset us-host"),
					impact(20, "web", EffectDown, EffectNone, "service api-eu", "service api-us"),
				},
			},
		},
		{
			name:   "a group whose members are all impaired but none down is degraded",
			assets: []Asset{online(1, "a1"), online(2, "a2"), online(3, "b1"), online(4, "b2")},
			services: []Service{
				service(10, "a", assetIn("g", 1), assetIn("g", 2)),
				service(11, "b", assetIn("g", 3), assetIn("g", 4)),
				service(20, "web", serviceIn("backend", 10), serviceIn("backend", 11)),
			},
			takeDown: []int64{1, 3},
			want: Blast{
				Assets: []int64{1, 3},
				Impacts: []Impact{
					impact(10, "a", EffectDegraded, EffectNone, "asset a1"),
					impact(11, "b", EffectDegraded, EffectNone, "asset b1"),
					impact(20, "web", EffectDegraded, EffectNone, "service a", "service b"),
				},
			},
		},
		{
			name: "already offline, isolated and restoring assets count in baseline and effect",
			assets: []Asset{
				asset(1, "db", OpOffline),
				asset(2, "cache", OpIsolated),
				asset(3, "search", OpRestoring),
				online(4, "web"),
			},
			services: []Service{
				service(10, "orders", needsAsset(1)),
				service(11, "sessions", needsAsset(2)),
				service(12, "catalog", needsAsset(3)),
				service(13, "front", needsAsset(4)),
			},
			takeDown: []int64{4},
			want: Blast{
				Assets: []int64{1, 2, 3, 4},
				Impacts: []Impact{
					impact(12, "catalog", EffectDown, EffectDown, "asset search"),
					impact(13, "front", EffectDown, EffectNone, "asset web"),
					impact(10, "orders", EffectDown, EffectDown, "asset db"),
					impact(11, "sessions", EffectDown, EffectDown, "asset cache"),
				},
			},
		},
		{
			name:     "already down assets with nothing asked for",
			assets:   []Asset{asset(1, "db", OpOffline), online(2, "web")},
			services: []Service{service(10, "shop", needsAsset(1), needsAsset(2))},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectDown, "asset db")},
			},
		},
		{
			name:     "taking down the last redundant member: degraded baseline, down effect",
			assets:   []Asset{asset(1, "app-a", OpIsolated), online(2, "app-b")},
			services: []Service{service(10, "shop", assetIn("app", 1), assetIn("app", 2))},
			takeDown: []int64{2},
			want: Blast{
				Assets:  []int64{1, 2},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectDegraded, "asset app-a", "asset app-b")},
			},
		},
		{
			name:     "asking for an asset already down changes nothing",
			assets:   []Asset{asset(1, "db", OpOffline)},
			services: []Service{service(10, "shop", needsAsset(1))},
			takeDown: []int64{1, 1},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectDown, "asset db")},
			},
		},
		{
			name:     "unknown asset id lands in Unknown",
			assets:   []Asset{online(1, "db")},
			services: []Service{service(10, "shop", needsAsset(1))},
			takeDown: []int64{99, 1, -3},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset db")},
				Unknown: []int64{99, -3},
			},
		},
		{
			name:     "only unknown asset ids",
			assets:   []Asset{online(1, "db")},
			services: []Service{service(10, "shop", needsAsset(1))},
			takeDown: []int64{7},
			want:     Blast{Unknown: []int64{7}},
		},
		{
			name:   "dependencies on missing assets or services have no effect",
			assets: []Asset{online(1, "db")},
			services: []Service{
				service(10, "shop", needsAsset(1), needsAsset(42), needsService(43)),
				service(11, "blog", needsAsset(42), needsService(43)),
			},
			takeDown: []int64{1},
			want: Blast{
				Assets:  []int64{1},
				Impacts: []Impact{impact(10, "shop", EffectDown, EffectNone, "asset db")},
			},
		},
		{
			name:   "cycle between services terminates and both go down",
			assets: []Asset{online(1, "db")},
			services: []Service{
				service(10, "a", needsService(20), needsAsset(1)),
				service(20, "b", needsService(10)),
			},
			takeDown: []int64{1},
			want: Blast{
				Assets: []int64{1},
				Impacts: []Impact{
					impact(10, "a", EffectDown, EffectNone, "asset db", "service b"),
					impact(20, "b", EffectDown, EffectNone, "service a"),
				},
			},
		},
		{
			name:   "cycle with nothing down stays clear",
			assets: []Asset{online(1, "db")},
			services: []Service{
				service(10, "a", needsService(20)),
				service(20, "b", needsService(30)),
				service(30, "c", needsService(10)),
			},
			takeDown: nil,
			want:     Blast{},
		},
		{
			name:   "cycle through a redundancy group degrades around the ring",
			assets: []Asset{online(1, "a-host"), online(2, "spare")},
			services: []Service{
				service(10, "a", assetIn("hosts", 1), assetIn("hosts", 2), serviceIn("hosts", 40)),
				service(20, "b", needsService(10)),
				service(30, "c", needsService(20), needsService(10)),
				service(40, "d", needsService(30)),
			},
			takeDown: []int64{1},
			want: Blast{
				Assets: []int64{1},
				Impacts: []Impact{
					impact(10, "a", EffectDegraded, EffectNone, "asset a-host", "service d"),
					impact(20, "b", EffectDegraded, EffectNone, "service a"),
					impact(30, "c", EffectDegraded, EffectNone, "service a", "service b"),
					impact(40, "d", EffectDegraded, EffectNone, "service c"),
				},
			},
		},
		{
			name: "impacts are ordered worst first, then by name",
			assets: []Asset{
				online(1, "x1"), online(2, "x2"), online(3, "solo"),
			},
			services: []Service{
				service(10, "zeta", needsAsset(3)),
				service(11, "mid", assetIn("x", 1), assetIn("x", 2)),
				service(12, "beta", needsAsset(3)),
				service(13, "alpha", assetIn("x", 1), assetIn("x", 2)),
				service(14, "untouched"),
			},
			takeDown: []int64{3, 1},
			want: Blast{
				Assets: []int64{1, 3},
				Impacts: []Impact{
					impact(12, "beta", EffectDown, EffectNone, "asset solo"),
					impact(10, "zeta", EffectDown, EffectNone, "asset solo"),
					impact(13, "alpha", EffectDegraded, EffectNone, "asset x1"),
					impact(11, "mid", EffectDegraded, EffectNone, "asset x1"),
				},
			},
		},
		{
			name:   "causes are sorted, de-duplicated and name every impaired dependency",
			assets: []Asset{online(1, "zz-db"), online(2, "app-a"), online(3, "app-b")},
			services: []Service{
				service(10, "api", needsAsset(1)),
				service(20, "shop",
					needsAsset(1), needsAsset(1), needsService(10),
					assetIn("app", 3), assetIn("app", 2)),
			},
			takeDown: []int64{1, 2},
			want: Blast{
				Assets: []int64{1, 2},
				Impacts: []Impact{
					impact(10, "api", EffectDown, EffectNone, "asset zz-db"),
					impact(20, "shop", EffectDown, EffectNone, "asset app-a", "asset zz-db", "service api"),
				},
			},
		},
		{
			name:   "a degraded required dependency and a fully down group: down wins",
			assets: []Asset{online(1, "p1"), online(2, "p2"), online(3, "r1")},
			services: []Service{
				service(10, "pool", assetIn("p", 1), assetIn("p", 2)),
				service(20, "shop", needsService(10), assetIn("r", 3)),
			},
			takeDown: []int64{1, 3},
			want: Blast{
				Assets: []int64{1, 3},
				Impacts: []Impact{
					impact(20, "shop", EffectDown, EffectNone, "asset r1", "service pool"),
					impact(10, "pool", EffectDegraded, EffectNone, "asset p1"),
				},
			},
		},
	}
	for _, tt := range tests {
		// Empty lists are empty, never nil, so that JSON says [] and not null.
		if tt.want.Assets == nil {
			tt.want.Assets = []int64{}
		}
		if tt.want.Impacts == nil {
			tt.want.Impacts = []Impact{}
		}
		t.Run(tt.name, func(t *testing.T) {
			got := BlastRadius(tt.assets, tt.services, tt.takeDown)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BlastRadius(%v) = %+v, want %+v", tt.takeDown, got, tt.want)
			}
			// The answer must not depend on the order services are listed in.
			rev := slices.Clone(tt.services)
			slices.Reverse(rev)
			if got := BlastRadius(tt.assets, rev, tt.takeDown); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BlastRadius(%v) with services reversed = %+v, want %+v", tt.takeDown, got, tt.want)
			}
		})
	}
}

func TestBlastRadiusDoesNotModifyInput(t *testing.T) {
	assets := []Asset{asset(1, "db", OpOnline), asset(2, "web", OpOffline)}
	services := []Service{service(10, "shop", needsAsset(1), needsAsset(2))}
	takeDown := []int64{1}
	wantAssets := slices.Clone(assets)
	wantServices := []Service{service(10, "shop", needsAsset(1), needsAsset(2))}
	BlastRadius(assets, services, takeDown)
	if !reflect.DeepEqual(assets, wantAssets) || !reflect.DeepEqual(services, wantServices) || !slices.Equal(takeDown, []int64{1}) {
		t.Errorf("BlastRadius modified its input: assets %+v, services %+v, takeDown %v", assets, services, takeDown)
	}
}

func TestBlastRadiusLongChain(t *testing.T) {
	// A chain of n services, each needing the next, declared in the order
	// that propagates slowest; the last needs the asset.
	const n = 200
	assets := []Asset{asset(1, "root", OpOnline)}
	var services []Service
	for i := int64(1); i <= n; i++ {
		dep := needsService(i + 1)
		if i == n {
			dep = needsAsset(1)
		}
		services = append(services, service(i, "svc", dep))
	}
	got := BlastRadius(assets, services, []int64{1})
	if len(got.Impacts) != n {
		t.Fatalf("BlastRadius(chain of %d) listed %d impacts, want %d", n, len(got.Impacts), n)
	}
	for _, im := range got.Impacts {
		if im.Effect != EffectDown || im.Baseline != EffectNone {
			t.Errorf("BlastRadius(chain of %d): service %d effect %s baseline %s, want down, none", n, im.ServiceID, im.Effect, im.Baseline)
		}
	}
}
