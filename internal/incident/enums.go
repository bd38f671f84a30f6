package incident

import (
	"fmt"
	"slices"
)

// Severity is how bad an incident is.
type Severity string

// Severities, least to most severe.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Phase is where an incident is in its life cycle.
type Phase string

// Phases, in order.
const (
	PhaseDetected   Phase = "detected"
	PhaseAnalysing  Phase = "analysing"
	PhaseContained  Phase = "contained"
	PhaseEradicated Phase = "eradicated"
	PhaseRecovering Phase = "recovering"
	PhaseClosed     Phase = "closed"
)

// TLP is a Traffic Light Protocol 2.0 marking.
type TLP string

// TLP markings.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// EventKind classifies a timeline event.
type EventKind string

// Event kinds.
const (
	KindDetection     EventKind = "detection"
	KindFinding       EventKind = "finding"
	KindAction        EventKind = "action"
	KindDecision      EventKind = "decision"
	KindCommunication EventKind = "communication"
	KindNotification  EventKind = "notification"
	KindNote          EventKind = "note"
	KindPhaseChange   EventKind = "phase_change"
)

// Source says who or what produced a timeline event.
type Source string

// Event sources.
const (
	SourcePerson  Source = "person"
	SourceHunt    Source = "hunt"
	SourceMonitor Source = "monitor"
	SourceSystem  Source = "system"
)

// Visibility says whether an event may be considered for the public story.
type Visibility string

// Visibilities.
const (
	VisibilityInternal Visibility = "internal"
	VisibilityPublic   Visibility = "public"
)

// TaskState is the state of a task.
type TaskState string

// Task states.
const (
	TaskOpen       TaskState = "open"
	TaskInProgress TaskState = "in_progress"
	TaskBlocked    TaskState = "blocked"
	TaskDone       TaskState = "done"
	TaskCancelled  TaskState = "cancelled"
)

// AssetKind says what an asset is.
type AssetKind string

// Asset kinds.
const (
	AssetHost        AssetKind = "host"
	AssetApplication AssetKind = "application"
	AssetNetwork     AssetKind = "network"
	AssetAccount     AssetKind = "account"
	AssetData        AssetKind = "data"
)

// Criticality is how much the business depends on an asset.
type Criticality string

// Criticalities.
const (
	CriticalityLow      Criticality = "low"
	CriticalityMedium   Criticality = "medium"
	CriticalityHigh     Criticality = "high"
	CriticalityCritical Criticality = "critical"
)

// Compromise is what is known about an asset's integrity.
type Compromise string

// Compromise states.
const (
	CompromiseUnknown     Compromise = "unknown"
	CompromiseSuspected   Compromise = "suspected"
	CompromiseCompromised Compromise = "compromised"
	CompromiseClean       Compromise = "clean"
)

// Operational is whether an asset is serving.
type Operational string

// Operational states. Isolated and offline assets serve nobody.
const (
	OpOnline    Operational = "online"
	OpIsolated  Operational = "isolated"
	OpOffline   Operational = "offline"
	OpRestoring Operational = "restoring"
)

// Down reports whether an asset in this state cannot serve its dependants.
func (o Operational) Down() bool { return o == OpIsolated || o == OpOffline || o == OpRestoring }

// ServiceStatus is the state of a service, named as on Statuspage.
type ServiceStatus string

// Service statuses.
const (
	StatusOperational ServiceStatus = "operational"
	StatusDegraded    ServiceStatus = "degraded_performance"
	StatusPartial     ServiceStatus = "partial_outage"
	StatusMajor       ServiceStatus = "major_outage"
	StatusMaintenance ServiceStatus = "under_maintenance"
)

// IndicatorType is the type of an indicator of compromise.
type IndicatorType string

// Indicator types.
const (
	IndIPv4      IndicatorType = "ipv4"
	IndIPv6      IndicatorType = "ipv6"
	IndCIDR      IndicatorType = "cidr"
	IndDomain    IndicatorType = "domain"
	IndURL       IndicatorType = "url"
	IndURLPath   IndicatorType = "url_path"
	IndFileName  IndicatorType = "file_name"
	IndSHA256    IndicatorType = "sha256"
	IndSHA1      IndicatorType = "sha1"
	IndMD5       IndicatorType = "md5"
	IndUserAgent IndicatorType = "user_agent"
	IndEmail     IndicatorType = "email"
)

// FindingState is the triage state of a finding.
type FindingState string

// Finding states.
const (
	FindingNew       FindingState = "new"
	FindingConfirmed FindingState = "confirmed"
	FindingDismissed FindingState = "dismissed"
)

// Role is what a user may do; the permission table lives in package auth.
type Role string

// Roles.
const (
	RoleAdmin          Role = "admin"
	RoleCommander      Role = "commander"
	RoleResponder      Role = "responder"
	RoleCommunications Role = "communications"
	RoleLegal          Role = "legal"
	RoleViewer         Role = "viewer"
	RoleGuest          Role = "guest"
)

// Anchor names the moments that start regulatory clocks.
type Anchor string

// Clock anchors.
const (
	AnchorFirstSignal        Anchor = "first_signal_at"
	AnchorAware              Anchor = "aware_at"
	AnchorPersonalDataBreach Anchor = "personal_data_breach_at"
	AnchorClassifiedMajor    Anchor = "classified_major_at"
	AnchorMateriality        Anchor = "materiality_at"
)

// Allowed values of each enumeration, in their natural order.
var (
	Severities      = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	Phases          = []Phase{PhaseDetected, PhaseAnalysing, PhaseContained, PhaseEradicated, PhaseRecovering, PhaseClosed}
	TLPs            = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}
	EventKinds      = []EventKind{KindDetection, KindFinding, KindAction, KindDecision, KindCommunication, KindNotification, KindNote, KindPhaseChange}
	Sources         = []Source{SourcePerson, SourceHunt, SourceMonitor, SourceSystem}
	Visibilities    = []Visibility{VisibilityInternal, VisibilityPublic}
	TaskStates      = []TaskState{TaskOpen, TaskInProgress, TaskBlocked, TaskDone, TaskCancelled}
	AssetKinds      = []AssetKind{AssetHost, AssetApplication, AssetNetwork, AssetAccount, AssetData}
	Criticalities   = []Criticality{CriticalityLow, CriticalityMedium, CriticalityHigh, CriticalityCritical}
	Compromises     = []Compromise{CompromiseUnknown, CompromiseSuspected, CompromiseCompromised, CompromiseClean}
	Operationals    = []Operational{OpOnline, OpIsolated, OpOffline, OpRestoring}
	ServiceStatuses = []ServiceStatus{StatusOperational, StatusDegraded, StatusPartial, StatusMajor, StatusMaintenance}
	IndicatorTypes  = []IndicatorType{IndIPv4, IndIPv6, IndCIDR, IndDomain, IndURL, IndURLPath, IndFileName, IndSHA256, IndSHA1, IndMD5, IndUserAgent, IndEmail}
	FindingStates   = []FindingState{FindingNew, FindingConfirmed, FindingDismissed}
	Roles           = []Role{RoleAdmin, RoleCommander, RoleResponder, RoleCommunications, RoleLegal, RoleViewer, RoleGuest}
	Anchors         = []Anchor{AnchorFirstSignal, AnchorAware, AnchorPersonalDataBreach, AnchorClassifiedMajor, AnchorMateriality}
)

// checkEnum returns a validation error naming field when v is not one of allowed.
func checkEnum[T ~string](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not one of %v", string(v), allowed)}
}
