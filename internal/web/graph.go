package web

import (
	"fmt"
	"sort"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// graph is a service dependency graph laid out for an SVG drawn by the
// template: assets in the first column, each service one column right of
// its deepest dependency. No JavaScript and no library are needed.
type graph struct {
	Width, Height int
	Nodes         []gnode
	Edges         []gedge
}

type gnode struct {
	X, Y, W, H   int
	TX, TY       int // text anchor
	Label, Sub   string
	Class, Title string
}

type gedge struct {
	D     string // SVG path
	Class string
}

const (
	colW, nodeW, nodeH, rowH, pad = 230, 190, 34, 46, 16
)

// layoutGraph draws the assets that services depend on and every service,
// coloured by the blast radius; focus, if set, is the asset being changed.
func layoutGraph(assets []incident.Asset, services []incident.Service, blast incident.Blast, focus *incident.Asset) graph {
	effect := map[int64]incident.Effect{}
	for _, im := range blast.Impacts {
		effect[im.ServiceID] = im.Effect
	}
	used := map[int64]bool{}
	svcByID := map[int64]incident.Service{}
	for _, s := range services {
		svcByID[s.ID] = s
		for _, d := range s.DependsOn {
			if d.Type == "asset" {
				used[d.ID] = true
			}
		}
	}
	if focus != nil {
		used[focus.ID] = true
	}
	// Depth: 1 + the deepest service dependency; bounded, so cycles end.
	depth := map[int64]int{}
	for range services {
		for _, s := range services {
			d := 1
			for _, dep := range s.DependsOn {
				if dep.Type == "service" && depth[dep.ID]+1 > d {
					d = depth[dep.ID] + 1
				}
			}
			if d > len(services) {
				d = len(services)
			}
			depth[s.ID] = d
		}
	}
	var g graph
	pos := map[string]gnode{}
	cols := map[int]int{} // column -> rows used
	place := func(key string, col int, n gnode) {
		row := cols[col]
		cols[col]++
		n.X, n.Y, n.W, n.H = pad+col*colW, pad+row*rowH, nodeW, nodeH
		n.TX, n.TY = n.X+10, n.Y+14
		pos[key] = n
		g.Nodes = append(g.Nodes, n)
	}
	sortedAssets := append([]incident.Asset(nil), assets...)
	sort.SliceStable(sortedAssets, func(i, j int) bool { return sortedAssets[i].Name < sortedAssets[j].Name })
	for _, a := range sortedAssets {
		if !used[a.ID] {
			continue
		}
		class := "node asset"
		if a.Operational.Down() {
			class += " out"
		}
		if a.Compromise == incident.CompromiseCompromised {
			class += " compromised"
		}
		if focus != nil && a.ID == focus.ID {
			class += " focus"
		}
		place(fmt.Sprintf("asset/%d", a.ID), 0, gnode{Label: a.Name, Sub: string(a.Operational) + " · " + string(a.Compromise), Class: class,
			Title: fmt.Sprintf("asset %s: %s, %s", a.Name, a.Operational, a.Compromise)})
	}
	sortedSvcs := append([]incident.Service(nil), services...)
	sort.SliceStable(sortedSvcs, func(i, j int) bool {
		if depth[sortedSvcs[i].ID] != depth[sortedSvcs[j].ID] {
			return depth[sortedSvcs[i].ID] < depth[sortedSvcs[j].ID]
		}
		return sortedSvcs[i].Name < sortedSvcs[j].Name
	})
	for _, s := range sortedSvcs {
		e := effect[s.ID]
		if e == "" {
			e = incident.EffectNone
		}
		sub := "operational"
		if e != incident.EffectNone {
			sub = string(e)
		}
		place(fmt.Sprintf("service/%d", s.ID), depth[s.ID], gnode{Label: s.Name, Sub: sub, Class: "node service effect-" + string(e),
			Title: fmt.Sprintf("service %s: %s", s.Name, sub)})
	}
	for _, s := range services {
		to, ok := pos[fmt.Sprintf("service/%d", s.ID)]
		if !ok {
			continue
		}
		for _, d := range s.DependsOn {
			from, ok := pos[fmt.Sprintf("%s/%d", d.Type, d.ID)]
			if !ok {
				continue
			}
			x1, y1 := from.X+from.W, from.Y+from.H/2
			x2, y2 := to.X, to.Y+to.H/2
			class := "edge"
			if d.Group != "" {
				class += " redundant"
			}
			if e := effect[s.ID]; e == incident.EffectDown || e == incident.EffectDegraded {
				class += " hot"
			}
			g.Edges = append(g.Edges, gedge{D: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, (x1+x2)/2, y1, (x1+x2)/2, y2, x2, y2), Class: class})
		}
	}
	maxCol, maxRow := 0, 0
	for c, rows := range cols {
		maxCol = max(maxCol, c)
		maxRow = max(maxRow, rows)
	}
	g.Width = 2*pad + maxCol*colW + nodeW
	g.Height = 2*pad + maxRow*rowH
	return g
}
