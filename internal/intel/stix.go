package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// tlpMarkings are the fixed ids of the standard TLP marking definitions:
// TLP 1.0 from the STIX 2.1 specification (§7.2.1.4), TLP 2.0 from the OASIS
// extension (cti-stix-common-objects, extension-definition-specifications/
// tlp-2.0). Bundles need not include these objects.
var tlpMarkings = map[string]incident.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": incident.TLPClear, // TLP:WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": incident.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": incident.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": incident.TLPRed,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": incident.TLPClear,
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": incident.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": incident.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": incident.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": incident.TLPRed,
}

// tlp2Extension is the id of the TLP 2.0 marking extension.
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// stixObject holds the properties of a STIX object that matter here.
type stixObject struct {
	Type              string       `json:"type"`
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	Description       string       `json:"description"`
	Pattern           *string      `json:"pattern"`
	PatternType       string       `json:"pattern_type"`
	Labels            []string     `json:"labels"`
	IndicatorTypes    []string     `json:"indicator_types"`
	Confidence        *json.Number `json:"confidence"`
	ValidFrom         string       `json:"valid_from"`
	ValidUntil        string       `json:"valid_until"`
	ObjectMarkingRefs []string     `json:"object_marking_refs"`
	Revoked           bool         `json:"revoked"`
	// marking-definition
	DefinitionType string                     `json:"definition_type"`
	Definition     json.RawMessage            `json:"definition"`
	Extensions     map[string]json.RawMessage `json:"extensions"`
}

// rawObject is one element of a bundle's objects and the line it starts on.
type rawObject struct {
	data json.RawMessage
	line int
}

// stix reads a STIX 2.1 bundle. Indicator objects with STIX patterns are
// imported; other objects are passed over.
func (p *parser) stix(data []byte) error {
	objs, err := p.bundleObjects(data)
	if err != nil {
		return err
	}
	type header struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	heads := make([]header, len(objs))
	headErrs := make([]error, len(objs))
	// Markings first: an indicator may refer to one defined after it.
	markings := map[string]incident.TLP{}
	for i, o := range objs {
		h := &heads[i]
		if headErrs[i] = json.Unmarshal(o.data, h); headErrs[i] != nil || h.Type != "marking-definition" {
			continue
		}
		var so stixObject
		if json.Unmarshal(o.data, &so) == nil {
			if t, ok := markingTLP(so); ok {
				markings[so.ID] = t
			}
		}
	}
	for id, t := range tlpMarkings {
		markings[id] = t // the standard ids mean what the standard says
	}
	for i, o := range objs {
		if err := headErrs[i]; err != nil {
			p.reject(o.line, fmt.Sprintf("not a STIX object: %v", err))
			continue
		}
		if heads[i].Type != "indicator" {
			continue
		}
		var so stixObject
		if err := json.Unmarshal(o.data, &so); err != nil {
			p.reject(o.line, fmt.Sprintf("%s: malformed indicator: %v", objectName(heads[i].ID, "indicator"), err))
			continue
		}
		if err := p.stixIndicator(o.line, so, markings); err != nil {
			return err
		}
	}
	return nil
}

// bundleObjects decodes the bundle's envelope and returns its objects,
// each with its line.
func (p *parser) bundleObjects(data []byte) ([]rawObject, error) {
	lc := &lineCounter{data: data, line: 1}
	fail := func(off int64, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("parse %s:%d: STIX bundle: %w", p.file, lc.at(int(off)), err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil {
		return nil, fail(dec.InputOffset(), err)
	} else if t != json.Delim('{') {
		return nil, fmt.Errorf("parse %s: not a JSON object, so not a STIX bundle: %w", p.file, ErrFormat)
	}
	var objs []rawObject
	var typ string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fail(dec.InputOffset(), err)
		}
		switch t {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
		case "objects":
			if t, err := dec.Token(); err != nil {
				return nil, fail(dec.InputOffset(), err)
			} else if t != json.Delim('[') {
				return nil, fmt.Errorf("parse %s:%d: STIX bundle: objects is not a list: %w", p.file, lc.at(int(dec.InputOffset())), ErrFormat)
			}
			for dec.More() {
				off := int(dec.InputOffset())
				for off < len(data) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
					off++
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail(dec.InputOffset(), err)
				}
				objs = append(objs, rawObject{raw, lc.at(off)})
			}
			if _, err := dec.Token(); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("parse %s:%d: STIX bundle: data after the bundle: %w", p.file, lc.at(int(dec.InputOffset())), ErrFormat)
	}
	if typ != "bundle" {
		return nil, fmt.Errorf("parse %s: a JSON object of type %s, not a STIX bundle: %w", p.file, quote(typ), ErrFormat)
	}
	return objs, nil
}

// markingTLP returns the TLP a marking definition stands for: a TLP 1.0
// definition ({"tlp": "amber"}), the TLP 2.0 extension, or a name starting
// with "TLP:".
func markingTLP(o stixObject) (incident.TLP, bool) {
	if o.DefinitionType == "tlp" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(o.Definition, &d) == nil {
			if t, err := parseTLP(d.TLP); err == nil {
				return t, true
			}
		}
	}
	if ext, ok := o.Extensions[tlp2Extension]; ok {
		var d struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(ext, &d) == nil {
			if t, err := parseTLP(d.TLP); err == nil {
				return t, true
			}
		}
	}
	if len(o.Name) > 4 && strings.EqualFold(o.Name[:4], "TLP:") {
		if t, err := parseTLP(o.Name); err == nil {
			return t, true
		}
	}
	return "", false
}

// objectName names a STIX object in messages.
func objectName(id, typ string) string {
	if id != "" {
		return shorten(id, 120)
	}
	return typ + " without an id"
}

// stixIndicator imports one indicator object.
func (p *parser) stixIndicator(line int, o stixObject, markings map[string]incident.TLP) error {
	name := objectName(o.ID, "indicator")
	reject := func(format string, args ...any) { p.reject(line, name+": "+fmt.Sprintf(format, args...)) }
	if o.Revoked {
		p.res.Skipped++
		return nil
	}
	if pt := strings.ToLower(o.PatternType); pt != "" && pt != "stix" {
		reject("pattern_type %s is not supported (only stix)", quote(o.PatternType))
		return nil
	}
	if o.Pattern == nil || strings.TrimSpace(*o.Pattern) == "" {
		reject("has no pattern")
		return nil
	}
	tmpl := p.newIndicator("", "")
	var err error
	if o.Confidence != nil {
		n, cerr := strconv.Atoi(o.Confidence.String())
		if cerr != nil || n < 0 || n > 100 {
			reject("confidence %s is not a whole number from 0 to 100", o.Confidence)
			return nil
		}
		tmpl.Confidence = n
	}
	if tmpl.FirstSeen, err = stixTime(o.ValidFrom); err != nil {
		reject("valid_from: %v", err)
		return nil
	}
	if tmpl.ExpiresAt, err = stixTime(o.ValidUntil); err != nil {
		reject("valid_until: %v", err)
		return nil
	}
	rank := -1
	for _, ref := range o.ObjectMarkingRefs {
		if t, ok := markings[ref]; ok {
			if i := slices.Index(incident.TLPs, t); i > rank {
				rank, tmpl.TLP = i, t // the most restrictive marking wins
			}
		}
	}
	tmpl.Tags = addTags(tmpl.Tags, o.Labels...)
	tmpl.Tags = addTags(tmpl.Tags, o.IndicatorTypes...)
	var note []string
	for _, s := range []string{o.Name, o.Description} {
		if s = strings.TrimSpace(s); s != "" {
			note = append(note, s)
		}
	}
	if o.ID != "" {
		note = append(note, "STIX "+o.ID)
	}
	tmpl.Note = cleanText(strings.Join(note, "\n"), incident.MaxText)

	vals, problems := extractPattern(*o.Pattern)
	for _, pr := range problems {
		reject("%s", pr)
	}
	for _, v := range vals {
		ind := tmpl
		ind.Type, ind.Value = v.Type, v.Value
		ind.Tags = slices.Clone(tmpl.Tags)
		ind.FirstSeen, ind.ExpiresAt = cloneTime(tmpl.FirstSeen), cloneTime(tmpl.ExpiresAt)
		if err := p.add(line, ind); err != nil {
			return err
		}
	}
	return nil
}

// stixTime parses a STIX timestamp; "" is no time.
func stixTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("%s is not an RFC 3339 timestamp", quote(s))
	}
	t = t.UTC()
	return &t, nil
}

// cloneTime returns a copy of *t, so indicators share no pointers.
func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
