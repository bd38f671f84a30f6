package web

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// uploadEvidence takes multipart/form-data with a "file" part (its file
// name is the evidence name, shown but never used as a path) and an
// optional "description". The file is streamed to disk while hashed.
func (s *Server) uploadEvidence(w http.ResponseWriter, r *http.Request, c *caller) error {
	ref := r.PathValue("ref")
	if _, err := s.st.GetIncident(r.Context(), ref); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxEvidence+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return errBadRequest("bad_upload", "evidence must be sent as multipart/form-data with a 'file' part: %v", err)
	}
	var ev incident.Evidence
	got := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadError(err)
		}
		switch part.FormName() {
		case "file":
			if got {
				return errBadRequest("bad_upload", "send one 'file' part per upload")
			}
			// The name exactly as sent: Part.FileName applies filepath.Base,
			// which would quietly accept "../../etc/passwd" as "passwd".
			ev.Name = rawFileName(part)
			if err := incident.CheckEvidenceName(ev.Name); err != nil {
				return err
			}
			ev.ContentType = part.Header.Get("Content-Type")
			if _, _, err := mime.ParseMediaType(ev.ContentType); err != nil {
				ev.ContentType = "application/octet-stream"
			}
			ev.SHA256, ev.Size, err = s.opt.Blobs.Put(part, s.opt.MaxEvidence)
			if err != nil {
				return uploadError(err)
			}
			got = true
		case "description":
			b, err := io.ReadAll(io.LimitReader(part, incident.MaxText+1))
			if err != nil {
				return uploadError(err)
			}
			if len(b) > incident.MaxText {
				return &incident.ValidationError{Field: "description", Reason: fmt.Sprintf("is longer than %d bytes", incident.MaxText)}
			}
			ev.Description = string(b)
		default:
			return errBadRequest("bad_upload", "unknown form field %q: send 'file' and optionally 'description'", part.FormName())
		}
	}
	if !got {
		return errBadRequest("bad_upload", "no 'file' part in the upload")
	}
	created, err := s.st.AddEvidence(r.Context(), c.user.Name, ref, ev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

// rawFileName returns the filename parameter of a part's Content-Disposition, unaltered.
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}

func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{http.StatusRequestEntityTooLarge, "too_large", "upload is larger than the limit"}
	}
	if ae := classify(err); ae.status != http.StatusInternalServerError {
		return ae
	}
	// A body that ends inside a part is the client's doing, not ours.
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart") {
		return errBadRequest("bad_upload", "malformed multipart body: %v", err)
	}
	return err
}

func (s *Server) listEvidence(w http.ResponseWriter, r *http.Request, _ *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.ListEvidence(r.Context(), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	return paged(w, p, items, func(e incident.Evidence) int64 { return e.ID })
}

func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, _ *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ev, err := s.st.GetEvidence(r.Context(), r.PathValue("ref"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// downloadEvidence sends the file as an attachment of an inert type (it may
// be a webshell) and records the download in the chain of custody.
func (s *Server) downloadEvidence(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	ev, err := s.st.GetEvidence(r.Context(), ref, id)
	if err != nil {
		return err
	}
	path, err := s.opt.Blobs.Path(ev.SHA256)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open evidence %d: %w", id, err)
	}
	defer f.Close()
	if r.Method == http.MethodGet { // a HEAD transfers nothing
		if err := s.st.AddCustody(r.Context(), c.user.Name, ref, id, "downloaded", "via API"); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ev.Name}))
	if raw, err := hex.DecodeString(ev.SHA256); err == nil {
		w.Header().Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(raw)+":") // RFC 9530
	}
	http.ServeContent(w, r, "", ev.CreatedAt, f)
	return nil
}

func (s *Server) addCustody(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if err := s.st.AddCustody(r.Context(), c.user.Name, ref, id, in.Action, in.Note); err != nil {
		return err
	}
	ev, err := s.st.GetEvidence(r.Context(), ref, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}
