// Package auth holds Firebreak's access rules: password hashing (argon2id),
// API tokens and session secrets, login rate limiting, and the one table
// that says which role may do what.
package auth

import (
	"slices"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Permission names one thing a caller may do. Every route declares one.
type Permission string

// Permissions. Public routes need no caller at all; Authenticated routes
// need any signed-in user.
const (
	Public        Permission = "public"
	Authenticated Permission = "authenticated"

	IncidentRead   Permission = "incident.read"
	IncidentCreate Permission = "incident.create"
	IncidentUpdate Permission = "incident.update"
	EventWrite     Permission = "event.write"
	TaskWrite      Permission = "task.write"
	AssetWrite     Permission = "asset.write"
	AssetOperate   Permission = "asset.operate" // isolate, take offline, restore
	ServiceWrite   Permission = "service.write"
	IndicatorWrite Permission = "indicator.write"
	FindingWrite   Permission = "finding.write"
	EvidenceRead   Permission = "evidence.read"
	EvidenceWrite  Permission = "evidence.write"
	UserAdmin      Permission = "user.admin"
	AuditRead      Permission = "audit.read"

	// The public plane. Drafting, approving and publishing a status update
	// are separate permissions (and the approver must not be the drafter).
	StatusRead    Permission = "status.read" // the public plane in the console, drafts included
	StatusDraft   Permission = "status.draft"
	StatusApprove Permission = "status.approve"
	StatusPublish Permission = "status.publish"
	StatusAdmin   Permission = "status.admin" // components, groups, channels, subscribers, page settings
)

// AllPermissions lists every permission a role can hold.
var AllPermissions = []Permission{
	IncidentRead, IncidentCreate, IncidentUpdate, EventWrite, TaskWrite, AssetWrite, AssetOperate,
	ServiceWrite, IndicatorWrite, FindingWrite, EvidenceRead, EvidenceWrite, UserAdmin, AuditRead,
	StatusRead, StatusDraft, StatusApprove, StatusPublish, StatusAdmin,
}

// table is the permission table: the one place that says which role may do what.
var table = map[incident.Role][]Permission{
	incident.RoleAdmin: AllPermissions,
	incident.RoleCommander: {IncidentRead, IncidentCreate, IncidentUpdate, EventWrite, TaskWrite, AssetWrite, AssetOperate,
		ServiceWrite, IndicatorWrite, FindingWrite, EvidenceRead, EvidenceWrite, AuditRead,
		StatusRead, StatusDraft, StatusApprove, StatusPublish, StatusAdmin},
	incident.RoleResponder: {IncidentRead, EventWrite, TaskWrite, AssetWrite, AssetOperate, ServiceWrite,
		IndicatorWrite, FindingWrite, EvidenceRead, EvidenceWrite, StatusRead},
	incident.RoleCommunications: {IncidentRead, EventWrite, StatusRead, StatusDraft, StatusPublish},
	incident.RoleLegal:          {IncidentRead, EventWrite, EvidenceRead, AuditRead, StatusRead, StatusApprove},
	incident.RoleViewer:         {IncidentRead, StatusRead},
	// Outside experts: scoped to named incidents (enforced by the web layer).
	incident.RoleGuest: {IncidentRead, EventWrite, IndicatorWrite, FindingWrite, EvidenceRead, EvidenceWrite},
}

// Can reports whether role holds permission p. Public and Authenticated are
// held by every role; an unknown role holds nothing.
func Can(role incident.Role, p Permission) bool {
	perms, ok := table[role]
	if !ok {
		return false
	}
	if p == Public || p == Authenticated {
		return true
	}
	return slices.Contains(perms, p)
}

// Scoped reports whether a role sees only the incidents it is scoped to.
func Scoped(role incident.Role) bool { return role == incident.RoleGuest }
