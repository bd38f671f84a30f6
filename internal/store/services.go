package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// CreateService adds a service and its dependencies to an incident. Every
// dependency must name an asset or service of the same incident.
func (s *Store) CreateService(ctx context.Context, actor, ref string, sv incident.Service) (incident.Service, error) {
	sv.Status = orDefault(sv.Status, incident.StatusOperational)
	if sv.DependsOn == nil {
		sv.DependsOn = []incident.Dependency{}
	}
	if err := sv.Validate(); err != nil {
		return sv, err
	}
	sv.UpdatedAt = s.now().UTC()
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO services (incident_id, name, description, status, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			incID, sv.Name, sv.Description, sv.Status, fmtTime(sv.UpdatedAt)).Scan(&sv.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("service %q: %w", sv.Name, ErrConflict)
			}
			return fmt.Errorf("create service: %w", err)
		}
		if err := s.writeDeps(ctx, tx, incID, sv); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "service.create", ref, fmt.Sprintf("service/%d", sv.ID), sv)
	})
	return sv, err
}

func (s *Store) writeDeps(ctx context.Context, tx *sql.Tx, incID int64, sv incident.Service) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM service_deps WHERE service_id = $1`, sv.ID); err != nil {
		return fmt.Errorf("replace dependencies: %w", err)
	}
	for i, d := range sv.DependsOn {
		table := "assets"
		if d.Type == "service" {
			table = "services"
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = $1 AND incident_id = $2`, d.ID, incID).Scan(&n); err != nil {
			return fmt.Errorf("check dependency: %w", err)
		}
		if n == 0 {
			return &incident.ValidationError{Field: fmt.Sprintf("depends_on[%d]", i), Reason: fmt.Sprintf("there is no %s %d in this incident", d.Type, d.ID)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_deps (service_id, dep_type, dep_id, grp) VALUES ($1, $2, $3, $4)`, sv.ID, d.Type, d.ID, d.Group); err != nil {
			if isUnique(err) {
				return &incident.ValidationError{Field: fmt.Sprintf("depends_on[%d]", i), Reason: "is listed twice"}
			}
			return fmt.Errorf("add dependency: %w", err)
		}
	}
	return nil
}

// ServicePatch changes some fields of a service. DependsOn, when not nil,
// replaces the whole dependency list.
type ServicePatch struct {
	Description *string                 `json:"description"`
	Status      *incident.ServiceStatus `json:"status"`
	DependsOn   *[]incident.Dependency  `json:"depends_on"`
}

// UpdateService applies a patch to a service of an incident.
func (s *Store) UpdateService(ctx context.Context, actor, ref string, serviceID int64, p ServicePatch) (incident.Service, error) {
	var sv incident.Service
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		all, err := s.listServices(ctx, tx, incID)
		if err != nil {
			return err
		}
		found := false
		for _, x := range all {
			if x.ID == serviceID {
				sv, found = x, true
			}
		}
		if !found {
			return fmt.Errorf("service %d: %w", serviceID, ErrNotFound)
		}
		set(&sv.Description, p.Description)
		set(&sv.Status, p.Status)
		set(&sv.DependsOn, p.DependsOn)
		if err := sv.Validate(); err != nil {
			return err
		}
		sv.UpdatedAt = s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE services SET description = $1, status = $2, updated_at = $3 WHERE id = $4`,
			sv.Description, sv.Status, fmtTime(sv.UpdatedAt), sv.ID); err != nil {
			return fmt.Errorf("update service %d: %w", serviceID, err)
		}
		if p.DependsOn != nil {
			if err := s.writeDeps(ctx, tx, incID, sv); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "service.update", ref, fmt.Sprintf("service/%d", sv.ID), p)
	})
	return sv, err
}

// ListServices returns all of an incident's services with their
// dependencies. Services are few, so the list is not paginated.
func (s *Store) ListServices(ctx context.Context, ref string) ([]incident.Service, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	return s.listServices(ctx, s.r, id)
}

func (s *Store) listServices(ctx context.Context, q queryer, incID int64) ([]incident.Service, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, description, status, updated_at FROM services WHERE incident_id = $1 ORDER BY id`, incID)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	out := []incident.Service{}
	index := map[int64]int{}
	for rows.Next() {
		var sv incident.Service
		if err := rows.Scan(&sv.ID, &sv.Name, &sv.Description, &sv.Status, timeCol{&sv.UpdatedAt}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list services: %w", err)
		}
		sv.DependsOn = []incident.Dependency{}
		index[sv.ID] = len(out)
		out = append(out, sv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	deps, err := q.QueryContext(ctx, `SELECT d.service_id, d.dep_type, d.dep_id, d.grp FROM service_deps d JOIN services s ON s.id = d.service_id
		WHERE s.incident_id = $1 ORDER BY d.service_id, d.dep_type, d.dep_id`, incID)
	if err != nil {
		return nil, fmt.Errorf("list dependencies: %w", err)
	}
	defer deps.Close()
	for deps.Next() {
		var sid int64
		var d incident.Dependency
		if err := deps.Scan(&sid, &d.Type, &d.ID, &d.Group); err != nil {
			return nil, fmt.Errorf("list dependencies: %w", err)
		}
		if i, ok := index[sid]; ok {
			out[i].DependsOn = append(out[i].DependsOn, d)
		}
	}
	return out, deps.Err()
}

// BlastRadius computes, for an incident, which services go down or degrade
// if the given assets go out of service (see incident.BlastRadius).
func (s *Store) BlastRadius(ctx context.Context, ref string, assetIDs []int64) (incident.Blast, error) {
	var assets []incident.Asset
	for p := (Page{Limit: 1000}); ; {
		page, err := s.ListAssets(ctx, ref, p)
		if err != nil {
			return incident.Blast{}, err
		}
		assets = append(assets, page...)
		if len(page) < p.Limit {
			break
		}
		p.After = page[len(page)-1].ID
	}
	services, err := s.ListServices(ctx, ref)
	if err != nil {
		return incident.Blast{}, err
	}
	return incident.BlastRadius(assets, services, assetIDs), nil
}
