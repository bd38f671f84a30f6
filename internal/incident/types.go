package incident

import "time"

// Incident is one security incident and the anchors that start its clocks.
type Incident struct {
	ID        int64                    `json:"-"`
	Ref       string                   `json:"ref"`
	Title     string                   `json:"title"`
	Summary   string                   `json:"summary"`
	Severity  Severity                 `json:"severity"`
	Phase     Phase                    `json:"phase"`
	TLP       TLP                      `json:"tlp"`
	CreatedBy string                   `json:"created_by"`
	CreatedAt time.Time                `json:"created_at"`
	UpdatedAt time.Time                `json:"updated_at"`
	Anchors   map[Anchor]AnchorSetting `json:"anchors"`
}

// AnchorSetting records when a clock anchor happened, who asserted it and why.
type AnchorSetting struct {
	At     time.Time `json:"at"`
	SetBy  string    `json:"set_by"`
	SetAt  time.Time `json:"set_at"`
	Reason string    `json:"reason"`
}

// Link ties a timeline event to another item of the record.
type Link struct {
	Type string `json:"type"` // asset, service, indicator, finding, evidence, task, event
	ID   int64  `json:"id"`
}

// Event is one append-only entry on an incident's timeline. Corrections are
// new events that name the event they correct.
type Event struct {
	ID         int64      `json:"id"`
	OccurredAt time.Time  `json:"occurred_at"`
	RecordedAt time.Time  `json:"recorded_at"`
	Kind       EventKind  `json:"kind"`
	Actor      string     `json:"actor"`
	Text       string     `json:"text"`
	Source     Source     `json:"source"`
	Visibility Visibility `json:"visibility"`
	Corrects   int64      `json:"corrects,omitempty"`
	Links      []Link     `json:"links"`
}

// Task is a piece of work in the response.
type Task struct {
	ID        int64      `json:"id"`
	Title     string     `json:"title"`
	Detail    string     `json:"detail"`
	State     TaskState  `json:"state"`
	Assignee  string     `json:"assignee"`
	Due       *time.Time `json:"due,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Asset is a host, application or other thing that can be compromised or
// taken out of service.
type Asset struct {
	ID             int64       `json:"id"`
	Name           string      `json:"name"`
	Kind           AssetKind   `json:"kind"`
	Region         string      `json:"region"`
	InternetFacing bool        `json:"internet_facing"`
	Criticality    Criticality `json:"criticality"`
	Compromise     Compromise  `json:"compromise"`
	Operational    Operational `json:"operational"`
	Notes          string      `json:"notes"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// Dependency is one edge of the service dependency graph: a service needs an
// asset or another service. Dependencies that share a non-empty Group are
// redundant paths: the service is down only when all of them are.
type Dependency struct {
	Type  string `json:"type"` // asset or service
	ID    int64  `json:"id"`
	Group string `json:"group,omitempty"`
}

// Service is a customer-facing component and what it depends on.
type Service struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Status      ServiceStatus `json:"status"`
	DependsOn   []Dependency  `json:"depends_on"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// Indicator is an indicator of compromise.
type Indicator struct {
	ID         int64         `json:"id"`
	Type       IndicatorType `json:"type"`
	Value      string        `json:"value"`
	Confidence int           `json:"confidence"`
	TLP        TLP           `json:"tlp"`
	Source     string        `json:"source"`
	Tags       []string      `json:"tags"`
	FirstSeen  *time.Time    `json:"first_seen,omitempty"`
	LastSeen   *time.Time    `json:"last_seen,omitempty"`
	ExpiresAt  *time.Time    `json:"expires_at,omitempty"`
	Note       string        `json:"note"`
	CreatedBy  string        `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
}

// Finding is something a hunt saw. Key is the client's idempotency key: a
// finding submitted twice with the same key is stored once.
type Finding struct {
	ID        int64             `json:"id"`
	Key       string            `json:"key"`
	Rule      string            `json:"rule"`
	Title     string            `json:"title"`
	Severity  Severity          `json:"severity"`
	Host      string            `json:"host"`
	File      string            `json:"file"`
	Line      int64             `json:"line"`
	Indicator string            `json:"indicator,omitempty"`
	LogTime   *time.Time        `json:"log_time,omitempty"`
	Fields    map[string]string `json:"fields"`
	State     FindingState      `json:"state"`
	Reason    string            `json:"reason,omitempty"`
	EventID   int64             `json:"event_id"`
	CreatedBy string            `json:"created_by"`
	CreatedAt time.Time         `json:"created_at"`
}

// Evidence is an uploaded file, identified by its SHA-256, with its chain of custody.
type Evidence struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	SHA256      string         `json:"sha256"`
	Size        int64          `json:"size"`
	ContentType string         `json:"content_type"`
	Description string         `json:"description"`
	CollectedBy string         `json:"collected_by"`
	CreatedAt   time.Time      `json:"created_at"`
	Custody     []CustodyEntry `json:"custody,omitempty"`
}

// CustodyEntry is one link in an evidence item's chain of custody.
type CustodyEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // collected, uploaded, downloaded, transferred, ...
	Note   string    `json:"note"`
}

// User is a person (or agent) who may sign in.
type User struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	Disabled  bool       `json:"disabled"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Incidents []string   `json:"incidents,omitempty"` // guests: the incidents they may see
	CreatedAt time.Time  `json:"created_at"`
}

// Expired reports whether the user's access has ended at now.
func (u User) Expired(now time.Time) bool {
	return u.ExpiresAt != nil && !now.Before(*u.ExpiresAt)
}

// Token is an API token; only a hash of its secret is stored.
type Token struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AwareAt returns when the organisation became aware of the incident, the
// anchor most clocks run from, or nil when nobody has set it.
func (in Incident) AwareAt() *time.Time {
	if s, ok := in.Anchors[AnchorAware]; ok {
		return &s.At
	}
	return nil
}
