package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// openAPI is the served OpenAPI document, decoded with json.Number.
type openAPI struct{ root map[string]any }

// fetchOpenAPI gets /api/v1/openapi.json from srv and decodes it.
func fetchOpenAPI(t *testing.T, srv http.Handler) openAPI {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /api/v1/openapi.json Content-Type = %q, want application/json", ct)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("/api/v1/openapi.json is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("decode /api/v1/openapi.json: %v", err)
	}
	return openAPI{root}
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// docPath maps a route pattern to its OpenAPI path: "/{$}" (exactly "/") is "/".
func docPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	if p == "" {
		return "/"
	}
	return p
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation returns the documented operation for a route, or nil.
func (d openAPI) operation(method, pattern string) map[string]any {
	return asMap(asMap(asMap(d.root["paths"])[docPath(pattern)])[strings.ToLower(method)])
}

// resolve follows a local $ref ("#/components/…") until it reaches a non-reference.
func (d openAPI) resolve(m map[string]any) map[string]any {
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = d.lookup(ref)
	}
	return m
}

func (d openAPI) lookup(ref string) map[string]any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = d.root
	for _, part := range strings.Split(ref[2:], "/") {
		cur = asMap(cur)[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return asMap(cur)
}

// responseSchema returns the documented schema for a status and media type.
// documented is false when the status is not documented at all.
func (d openAPI) responseSchema(op map[string]any, status int, mediaType string) (schema map[string]any, hasContent, documented bool) {
	resp := d.resolve(asMap(asMap(op["responses"])[fmt.Sprint(status)]))
	if resp == nil {
		return nil, false, false
	}
	content := asMap(resp["content"])
	if content == nil {
		return nil, false, true
	}
	mt := asMap(content[mediaType])
	if mt == nil {
		return nil, true, true
	}
	return d.resolve(asMap(mt["schema"])), true, true
}

// checkResponse checks a response against what the document says of the
// route: its status is documented, its media type is one documented for
// that status, and a JSON body matches the schema, with no undocumented
// properties.
func (d openAPI) checkResponse(t *testing.T, rt RouteInfo, rec *httptest.ResponseRecorder) {
	t.Helper()
	op := d.operation(rt.Method, rt.Path)
	if op == nil {
		t.Errorf("%s %s is not documented", rt.Method, rt.Path)
		return
	}
	mediaType, _, _ := strings.Cut(rec.Header().Get("Content-Type"), ";")
	schema, hasContent, documented := d.responseSchema(op, rec.Code, strings.TrimSpace(mediaType))
	switch {
	case !documented:
		t.Errorf("OpenAPI: %s %s answered %d, which its operation does not document", rt.Method, rt.Path, rec.Code)
		return
	case !hasContent || rec.Code == http.StatusSeeOther:
		return
	case schema == nil:
		t.Errorf("OpenAPI: %s %s answered %d as %q, which is not a documented media type", rt.Method, rt.Path, rec.Code, mediaType)
		return
	case mediaType != "application/json":
		return
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("OpenAPI: %s %s: body is not JSON: %v", rt.Method, rt.Path, err)
		return
	}
	var errs []string
	d.validate(schema, v, "body", &errs)
	for _, e := range errs {
		t.Errorf("OpenAPI: %s %s %d: %s", rt.Method, rt.Path, rec.Code, e)
	}
}

var dateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// validate checks v against the subset of JSON Schema the document uses:
// type, enum, format date-time, pattern, minimum/maximum, properties,
// required, additionalProperties, propertyNames and items. A property not
// in properties is an error unless additionalProperties allows it.
func (d openAPI) validate(schema map[string]any, v any, at string, errs *[]string) {
	schema = d.resolve(schema)
	if schema == nil {
		*errs = append(*errs, at+": schema reference does not resolve")
		return
	}
	fail := func(format string, a ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, a...)) }
	var types []string
	switch ty := schema["type"].(type) {
	case string:
		types = []string{ty}
	case []any:
		for _, x := range ty {
			types = append(types, fmt.Sprint(x))
		}
	}
	kind := jsonKind(v)
	if len(types) > 0 && !slices.Contains(types, kind) && !(kind == "integer" && slices.Contains(types, "number")) {
		fail("is a JSON %s, documented as %v", kind, types)
		return
	}
	if en, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(en, func(x any) bool { return x == v }) {
		fail("%v is not one of the documented values %v", v, en)
	}
	if s, ok := v.(string); ok {
		if schema["format"] == "date-time" && !dateTime.MatchString(s) {
			fail("%q is not a date-time", s)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			fail("%q does not match %s", s, p)
		}
	}
	if n, ok := v.(json.Number); ok {
		x, _ := n.Float64()
		if m, ok := schema["minimum"].(json.Number); ok && x < mustFloat(m) {
			fail("%v is below the documented minimum %v", n, m)
		}
		if m, ok := schema["maximum"].(json.Number); ok && x > mustFloat(m) {
			fail("%v is above the documented maximum %v", n, m)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props := asMap(schema["properties"])
		for _, r := range asSlice(schema["required"]) {
			if _, ok := x[fmt.Sprint(r)]; !ok {
				fail("lacks required property %q", r)
			}
		}
		names := d.resolve(asMap(schema["propertyNames"]))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if names != nil {
				d.validate(names, k, at+" key "+k, errs)
			}
			if ps := asMap(props[k]); ps != nil {
				d.validate(ps, x[k], at+"."+k, errs)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case map[string]any:
				d.validate(ap, x[k], at+"."+k, errs)
			case bool:
				if !ap {
					fail("has undocumented property %q", k)
				}
			case nil:
				if props != nil {
					fail("has undocumented property %q", k)
				}
			}
		}
	case []any:
		if items := asMap(schema["items"]); items != nil {
			for i, e := range x {
				d.validate(items, e, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	}
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func mustFloat(n json.Number) float64 { f, _ := n.Float64(); return f }

// TestOpenAPIMatchesRoutes checks the document against the route table
// both ways, and its internal consistency.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := New(Options{Passwords: auth.TestParams})
	doc := fetchOpenAPI(t, srv)

	if v, _ := doc.root["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if asMap(doc.root["info"])["title"] == nil || asMap(doc.root["info"])["version"] == nil {
		t.Errorf("info lacks title or version")
	}

	routes := srv.Routes()
	registered := map[string]RouteInfo{}
	for _, rt := range routes {
		registered[strings.ToLower(rt.Method)+" "+docPath(rt.Path)] = rt
	}

	// Every route is documented, with its permission and security.
	opIDs := map[string]string{}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		op := doc.operation(rt.Method, rt.Path)
		if op == nil {
			t.Errorf("route %s is not documented (want paths[%q].%s)", name, docPath(rt.Path), strings.ToLower(rt.Method))
			continue
		}
		if got := op["x-permission"]; got != string(rt.Perm) {
			t.Errorf("%s: x-permission = %v, want %q", name, got, rt.Perm)
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if other, dup := opIDs[id]; dup {
			t.Errorf("%s: operationId %q is also used by %s", name, id, other)
		}
		opIDs[id] = name
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", name)
		}
		sec, hasSec := op["security"].([]any)
		switch {
		case !hasSec:
			t.Errorf("%s: no security requirement (public routes need an explicit [])", name)
		case rt.Perm == auth.Public && len(sec) != 0:
			t.Errorf("%s: public route documents security %v, want []", name, sec)
		case rt.Perm != auth.Public && len(sec) == 0:
			t.Errorf("%s: route needs %s but documents no security", name, rt.Perm)
		}
		for _, s := range sec {
			for scheme := range asMap(s) {
				if asMap(asMap(asMap(doc.root["components"])["securitySchemes"])[scheme]) == nil {
					t.Errorf("%s: security scheme %q is not defined", name, scheme)
				}
			}
		}
		// Path parameters: each {name} is declared, required, in the path.
		declared := map[string]bool{}
		for _, p := range asSlice(op["parameters"]) {
			p := doc.resolve(asMap(p))
			if p["in"] == "path" {
				declared[fmt.Sprint(p["name"])] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v is not required", name, p["name"])
				}
			}
		}
		for _, m := range regexp.MustCompile(`\{([a-z]+)\}`).FindAllStringSubmatch(docPath(rt.Path), -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", name, m[1])
			}
			delete(declared, m[1])
		}
		for p := range declared {
			t.Errorf("%s: declares path parameter %q that the path lacks", name, p)
		}
		resps := asMap(op["responses"])
		if len(resps) == 0 {
			t.Errorf("%s: no responses", name)
		}
		// Errors: API routes that need a caller document 401 and 403, and
		// every 4xx JSON response of the API is the Error shape.
		if rt.API && rt.Perm != auth.Public {
			for _, code := range []string{"401", "403"} {
				if resps[code] == nil {
					t.Errorf("%s: does not document %s", name, code)
				}
			}
		}
		if rt.Scoped && resps["404"] == nil {
			t.Errorf("%s: names an incident but does not document 404", name)
		}
		for code, r := range resps {
			r := doc.resolve(asMap(r))
			if r == nil {
				t.Errorf("%s: response %s does not resolve", name, code)
				continue
			}
			if js := asMap(asMap(r["content"])["application/json"]); code[0] == '4' && js != nil && rt.API {
				if ref, _ := asMap(js["schema"])["$ref"].(string); ref != "#/components/schemas/Error" {
					t.Errorf("%s: JSON %s response schema is %v, want the Error shape", name, code, js["schema"])
				}
			}
		}
		// Request bodies are closed objects.
		if rb := doc.resolve(asMap(op["requestBody"])); rb != nil {
			for mt, c := range asMap(rb["content"]) {
				schema := doc.resolve(asMap(asMap(c)["schema"]))
				if schema["type"] != "object" || schema["additionalProperties"] != false {
					t.Errorf("%s: %s request body schema is not an object with additionalProperties: false", name, mt)
				}
			}
		}
	}

	// Every documented operation is a registered route.
	for path, item := range asMap(doc.root["paths"]) {
		for method := range asMap(item) {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			if _, ok := registered[method+" "+path]; !ok {
				t.Errorf("documented operation %s %s is not a registered route", strings.ToUpper(method), path)
			}
		}
	}

	// Every $ref resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && doc.lookup(ref) == nil {
				t.Errorf("%s: $ref %q does not resolve", at, ref)
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc.root, "#")
}

// jsonFields returns the JSON names of a struct's fields and which of them
// are always present (no omitempty), following embedded structs.
func jsonFields(typ reflect.Type) (all, always []string) {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			a, b := jsonFields(f.Type)
			all, always = append(all, a...), append(always, b...)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

// TestOpenAPISchemasMatchGoTypes checks that the component schemas list
// exactly the JSON fields of the Go types they describe, that the fields
// always present are required, and that enumerations list the domain's values.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := fetchOpenAPI(t, New(Options{Passwords: auth.TestParams}))
	schemas := asMap(asMap(doc.root["components"])["schemas"])
	types := []struct {
		schema  string
		v       any
		request bool // request bodies: nothing is required but what the server insists on
	}{
		{"Incident", incident.Incident{}, false},
		{"AnchorSetting", incident.AnchorSetting{}, false},
		{"Link", incident.Link{}, false},
		{"Event", incident.Event{}, false},
		{"Task", incident.Task{}, false},
		{"Asset", incident.Asset{}, false},
		{"Dependency", incident.Dependency{}, false},
		{"Service", incident.Service{}, false},
		{"Indicator", incident.Indicator{}, false},
		{"Finding", incident.Finding{}, false},
		{"Evidence", incident.Evidence{}, false},
		{"CustodyEntry", incident.CustodyEntry{}, false},
		{"User", incident.User{}, false},
		{"Blast", incident.Blast{}, false},
		{"Impact", incident.Impact{}, false},
		{"AuditEntry", incident.AuditEntry{}, false},
		{"Subscriber", incident.Subscriber{}, false},
		{"WebhookCreated", webhookCreated{}, false},
		{"List", list[int]{}, false},
		{"IncidentPatch", store.IncidentPatch{}, true},
		{"TaskPatch", store.TaskPatch{}, true},
		{"AssetPatch", store.AssetPatch{}, true},
		{"ServicePatch", store.ServicePatch{}, true},
		{"IndicatorInput", indicatorIn{}, true},
		{"FindingInput", findingIn{}, true},
		{"StatusSettings", store.StatusSettings{}, false},
		{"StatusGroup", store.StatusGroup{}, false},
		{"StatusComponent", store.StatusComponent{}, false},
		{"StatusChannel", store.StatusChannel{}, false},
		{"StatusEvent", store.StatusEvent{}, false},
		{"StatusUpdate", store.StatusUpdate{}, false},
		{"Affected", store.Affected{}, false},
		{"StatusOverview", statusOverview{}, false},
		{"StatusSettingsInput", store.StatusSettings{}, true},
		{"NewStatusEvent", store.NewStatusEvent{}, true},
		{"NewStatusUpdate", store.NewStatusUpdate{}, true},
		{"ComponentInput", componentIn{}, true},
		{"ComponentStatusInput", componentStatusIn{}, true},
		{"UserPatch", struct {
			store.UserPatch
			Password *string `json:"password"`
		}{}, true},
	}
	for _, tc := range types {
		s := asMap(schemas[tc.schema])
		if s == nil {
			t.Errorf("components.schemas.%s is missing", tc.schema)
			continue
		}
		var documented []string
		for k := range asMap(s["properties"]) {
			documented = append(documented, k)
		}
		sort.Strings(documented)
		all, always := jsonFields(reflect.TypeOf(tc.v))
		if !slices.Equal(documented, all) {
			t.Errorf("%s documents properties %v, the Go type %T has %v", tc.schema, documented, tc.v, all)
		}
		if tc.request {
			continue
		}
		var required []string
		for _, r := range asSlice(s["required"]) {
			required = append(required, fmt.Sprint(r))
		}
		sort.Strings(required)
		if !slices.Equal(required, always) {
			t.Errorf("%s requires %v, but the Go type %T always sends %v", tc.schema, required, tc.v, always)
		}
	}

	enums := []struct {
		schema, property string
		want             any
	}{
		{"Incident", "severity", incident.Severities},
		{"Incident", "phase", incident.Phases},
		{"Incident", "tlp", incident.TLPs},
		{"Event", "kind", incident.EventKinds},
		{"Event", "source", incident.Sources},
		{"Event", "visibility", incident.Visibilities},
		{"Task", "state", incident.TaskStates},
		{"Asset", "kind", incident.AssetKinds},
		{"Asset", "criticality", incident.Criticalities},
		{"Asset", "compromise", incident.Compromises},
		{"Asset", "operational", incident.Operationals},
		{"Service", "status", incident.ServiceStatuses},
		{"Indicator", "type", incident.IndicatorTypes},
		{"Indicator", "tlp", incident.TLPs},
		{"Finding", "severity", incident.Severities},
		{"Finding", "state", incident.FindingStates},
		{"User", "role", incident.Roles},
		{"EventCreate", "kind", incident.EventKinds},
		{"TaskCreate", "state", incident.TaskStates},
		{"AssetCreate", "operational", incident.Operationals},
		{"OperationalChange", "state", incident.Operationals},
		{"TriageChange", "state", incident.FindingStates},
		{"UserCreate", "role", incident.Roles},
		{"IndicatorInput", "type", incident.IndicatorTypes},
		{"StatusComponent", "status", incident.ServiceStatuses},
		{"ComponentInput", "status", incident.ServiceStatuses},
		{"Affected", "status", incident.ServiceStatuses},
		{"StatusChannel", "kind", store.ChannelKinds},
		{"NewStatusUpdate", "status", append(slices.Clone(store.IncidentStatuses), store.MaintenanceStatuses...)},
		{"StatusEvent", "impact", append([]string{""}, store.Impacts...)},
		{"Impact", "effect", []incident.Effect{incident.EffectNone, incident.EffectDegraded, incident.EffectDown}},
	}
	for _, tc := range enums {
		got := asSlice(doc.resolve(asMap(asMap(asMap(schemas[tc.schema])["properties"])[tc.property]))["enum"])
		var want []any
		rv := reflect.ValueOf(tc.want)
		for i := 0; i < rv.Len(); i++ {
			want = append(want, rv.Index(i).String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s.%s enum = %v, want %v", tc.schema, tc.property, got, want)
		}
	}
	for _, name := range []string{"Incident", "IncidentCreate", "IncidentPatch"} {
		names := asSlice(asMap(asMap(asMap(asMap(schemas[name])["properties"])["anchors"])["propertyNames"])["enum"])
		if fmt.Sprint(names) != fmt.Sprint(incident.Anchors) {
			t.Errorf("%s.anchors names = %v, want %v", name, names, incident.Anchors)
		}
	}
	got := asSlice(asMap(asMap(asMap(asMap(schemas["Me"])["properties"])["permissions"])["items"])["enum"])
	if fmt.Sprint(got) != fmt.Sprint(auth.AllPermissions) {
		t.Errorf("Me.permissions enum = %v, want %v", got, auth.AllPermissions)
	}
}

// sample builds a value with every documented property of schema, each
// of a documented type, for checking that the server accepts what the
// document describes.
func (d openAPI) sample(schema map[string]any) any {
	schema = d.resolve(schema)
	if en := asSlice(schema["enum"]); len(en) > 0 {
		return en[len(en)-1]
	}
	ty := schema["type"]
	if tys, ok := ty.([]any); ok {
		ty = tys[0]
	}
	switch ty {
	case "string":
		if schema["format"] == "date-time" {
			return time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
		}
		return "sample"
	case "integer", "number":
		return 1
	case "boolean":
		return false
	case "array":
		if items := asMap(schema["items"]); items != nil {
			return []any{d.sample(items)}
		}
		return []any{}
	case "object":
		out := map[string]any{}
		for k, p := range asMap(schema["properties"]) {
			out[k] = d.sample(asMap(p))
		}
		if ap := asMap(schema["additionalProperties"]); ap != nil {
			key := "sample"
			if names := asSlice(d.resolve(asMap(schema["propertyNames"]))["enum"]); len(names) > 0 {
				key = fmt.Sprint(names[0])
			}
			out[key] = d.sample(ap)
		}
		return out
	}
	return nil
}

// TestOpenAPIRequestBodiesAccepted sends, for every route with a JSON
// body, an object holding every documented property: the server must not
// refuse any of them as unknown or of the wrong type.
func TestOpenAPIRequestBodiesAccepted(t *testing.T) {
	f := newFixture(t)
	doc := fetchOpenAPI(t, f.srv)
	for _, rt := range f.srv.Routes() {
		op := doc.operation(rt.Method, rt.Path)
		rb := doc.resolve(asMap(op["requestBody"]))
		js := asMap(asMap(rb["content"])["application/json"])
		if js == nil {
			continue
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			defer f.reportTo(t)()
			body, _ := json.Marshal(doc.sample(asMap(js["schema"])))
			req := f.routeRequest(rt, "admin", f.A)
			req2 := f.newRequest("admin", req.Method, req.URL.RequestURI(), body, "application/json")
			rec := f.serve(req2)
			if rec.Code == http.StatusBadRequest || rec.Code == http.StatusUnsupportedMediaType {
				t.Errorf("%s %s with documented body %s = %d %s", rt.Method, rt.Path, body, rec.Code, rec.Body.String())
			}
			if rec.Code >= 400 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				if e := decodeError(t, rec); slices.Contains([]string{"unknown_field", "wrong_type", "malformed_json"}, e.Error.Code) {
					t.Errorf("%s %s refused a documented body %s: %s", rt.Method, rt.Path, body, e.Error.Message)
				}
			}
		})
	}
}
