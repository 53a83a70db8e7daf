package core

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// PublicLevel says how much of a protocol the public lookup shows
// (DESIGN.md, "Public lookup page").
type PublicLevel string

// Lookup levels.
const (
	// PublicBasic is what the number alone shows: status, type, current
	// unit, dates, deadline and the steps with date, kind and units.
	PublicBasic PublicLevel = "basic"
	// PublicFull adds the subject, the dispatch texts and the files of
	// public steps; it needs the access key or the requester's CPF/CNPJ.
	PublicFull PublicLevel = "full"
)

// PublicView is a protocol as the public lookup shows it. It never holds
// names, e-mail addresses or phones; documents only masked. Fields marked
// "full" are empty at PublicBasic.
type PublicView struct {
	Number    string      `json:"number"` // NUP layout, e.g. 23037.001462/2021-65
	Level     PublicLevel `json:"level"`
	Status    Status      `json:"status"`
	TypeName  string      `json:"type"`
	UnitName  string      `json:"unit"` // unit holding the protocol now
	OpenedAt  time.Time   `json:"opened_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Deadline  *time.Time  `json:"deadline"`
	// LegalDeadline is the "prazo de resposta": what the body owes the
	// requester by law; null for none or while interrupted (status
	// awaiting_requester). Public at the number level (DESIGN.md).
	LegalDeadline *time.Time   `json:"legal_deadline"`
	Extended      bool         `json:"extended"`                      // extended once, with a reason given to the requester
	LegalBasis    string       `json:"legal_basis,omitempty"`         // e.g. "Lei 13.460/2017, art. 16"
	Result        string       `json:"result,omitempty"`              // the conclusion result, public
	Subject       string       `json:"subject,omitempty"`             // full
	Documents     []string     `json:"requester_documents,omitempty"` // full, opened with a CPF/CNPJ: masked documents of requester and other requester
	Steps         []PublicStep `json:"steps"`
	KeyOK         bool         `json:"-"` // the access key given was right: file links may carry it
	OrgName       string       `json:"-"` // organization running the lookup, for the page footer
	OrgTimezone   string       `json:"-"` // its IANA time zone, for dates
}

// Location returns the time zone the view's dates are shown in: the
// organization's (Organization.Location rules).
func (v PublicView) Location() *time.Location {
	return Organization{Timezone: v.OrgTimezone}.Location()
}

// PublicStep is one step (trâmite) on the public lookup. A private step is
// Internal: only its date and units are given ("trâmite interno"), never
// its kind, text or files.
type PublicStep struct {
	At       time.Time    `json:"at"`
	Kind     StepKind     `json:"kind,omitempty"` // "" when Internal
	Internal bool         `json:"internal"`
	FromUnit string       `json:"from_unit"` // unit name, "" when none (e.g. a requester's message)
	ToUnit   string       `json:"to_unit"`
	Text     string       `json:"text,omitempty"`  // full, public steps: the dispatch, Markdown
	Files    []PublicFile `json:"files,omitempty"` // full, public steps
}

// PublicFile describes one file of a public step.
type PublicFile struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Inline      bool   `json:"inline"` // an image shown inside the message that carried it
	ContentID   string `json:"-"`      // the mail's Content-ID, to place inline images; not public
}

// PublicContent is a downloadable file of a public step.
type PublicContent struct {
	Filename    string
	ContentType string // as stored; the web layer decides how to serve it
	Content     []byte
}

// publicHiddenKinds are steps the public lookup leaves out entirely: they
// record mail delivery (an out-of-office answer, a bounce), not an act on
// the protocol.
const publicHiddenKinds = `('auto_reply', 'bounce')`

// PublicLookup returns protocol n as the public lookup shows it (DESIGN.md,
// "Public lookup page"). The number alone gives PublicBasic. A key equal to
// the protocol's access key (compared in constant time), or a document
// equal to the CPF/CNPJ of its requester or other requester (compared
// normalized), gives PublicFull; opened with a document, the view also
// holds the requester documents, masked. A wrong or malformed key or
// document gives exactly the PublicBasic view, so the answer is no oracle.
// It returns ErrNotFound for an unknown number.
func (s *Service) PublicLookup(ctx context.Context, n Number, key, document string) (PublicView, error) {
	var v PublicView
	if err := n.Valid(); err != nil {
		return v, err
	}
	number := n.String()
	norm, _, docErr := NormalizeDocument(document)
	// Texts and files are read only when a key or a valid document came
	// with the number, the requester documents only with a document
	// (whether right or wrong is decided below, in constant time); texts
	// and files of private steps never leave the database. One statement,
	// one round trip.
	var stepsJSON, filesJSON []byte
	var accessKey string
	var docs, pii []string
	query := publicLookupBasicSQL
	switch {
	case docErr == nil:
		query = publicLookupDocumentSQL
	case strings.TrimSpace(key) != "":
		query = publicLookupKeySQL
	}
	err := s.pool.QueryRow(ctx, query, number).Scan(&accessKey, &v.Status, &v.TypeName, &v.UnitName, &v.Subject,
		&v.OpenedAt, &v.UpdatedAt, &v.Deadline, &v.LegalDeadline, &v.Extended, &v.LegalBasis, &v.Result, &v.OrgName, &v.OrgTimezone, &stepsJSON, &filesJSON, &docs, &pii)
	if isNoRows(err) {
		return PublicView{}, fmt.Errorf("protocol %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return PublicView{}, fmt.Errorf("looking up protocol %s: %w", number, err)
	}
	v.Number = number
	steps, stepIDs, err := decodePublicSteps(stepsJSON)
	if err != nil {
		return PublicView{}, err
	}
	v.Steps = steps

	keyOK := keyMatches(accessKey, key)
	full := keyOK || (docErr == nil && documentMatches(docs, norm))
	v.Level = PublicBasic
	if !full {
		v.Subject = ""
		for i := range v.Steps {
			v.Steps[i].Text = ""
		}
		return v, nil
	}
	v.Level = PublicFull
	v.KeyOK = keyOK
	// DESIGN.md: requester names, e-mails and phones are never shown, also
	// not inside the texts (a signature at the end of the opening mail).
	redact := newRedactor(pii)
	v.Subject = redact.Redact(v.Subject)
	for i := range v.Steps {
		v.Steps[i].Text = redact.Redact(v.Steps[i].Text)
	}
	for _, d := range docs {
		if m := MaskDocument(d); m != "" {
			v.Documents = append(v.Documents, m)
		}
	}
	var files []struct {
		ID     int64  `json:"id"`
		Step   int64  `json:"step"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Size   int64  `json:"size"`
		Inline bool   `json:"inline"`
		CID    string `json:"cid"`
	}
	if len(filesJSON) > 0 {
		if err := json.Unmarshal(filesJSON, &files); err != nil {
			return PublicView{}, fmt.Errorf("decoding public files: %w", err)
		}
	}
	for _, f := range files {
		if i, ok := stepIDs[f.Step]; ok {
			v.Steps[i].Files = append(v.Steps[i].Files, PublicFile{ID: f.ID, Filename: f.Name, ContentType: f.Type, Size: f.Size,
				Inline: f.Inline, ContentID: f.CID})
		}
	}
	return v, nil
}

// publicLookupSQL is the one statement of PublicLookup. With texts, it
// also reads the texts and files of public steps; with docs, the requester
// documents. The variants are separate statements (not one with boolean
// parameters) so that PostgreSQL keeps a generic plan for each instead of
// planning the cheaper variant again on every call.
func publicLookupSQL(texts, withDocs bool) string {
	text, files, docs, pii := `''`, `NULL::json`, `NULL::text[]`, `NULL::text[]`
	if texts {
		// What RedactPersonalData removes from the texts shown: the names,
		// addresses and phones of everyone on the protocol.
		pii = `(SELECT array_agg(DISTINCT x) FROM participants pa,
					unnest(ARRAY[pa.name, pa.email, pa.phone, pa.reply_to]) AS x
				WHERE pa.protocol_id = p.id AND x <> '')`
		text = `CASE WHEN s.visibility = 'public' AND s.kind <> 'requester_changed' THEN s.text ELSE '' END`
		files = `(SELECT json_agg(json_build_object('id', a.id, 'step', a.step_id, 'name', a.filename,
					'type', a.content_type, 'size', a.size, 'inline', a.inline, 'cid', a.content_id) ORDER BY a.id)
				FROM steps s JOIN attachments a ON a.step_id = s.id
				WHERE s.protocol_id = p.id AND s.visibility = 'public' AND s.kind NOT IN ` + publicHiddenKinds + `)`
	}
	if withDocs {
		docs = `(SELECT array_agg(pa.document ORDER BY pa.role = 'other_requester', pa.id) FROM participants pa
				WHERE pa.protocol_id = p.id AND pa.active AND pa.role IN ('requester', 'other_requester') AND pa.document <> '')`
	}
	return `
		SELECT p.access_key, p.status, t.name, u.name, p.subject, p.opened_at, p.updated_at, p.deadline,
			p.legal_deadline, p.extended_at IS NOT NULL, t.legal_basis, coalesce(p.result, ''),
			coalesce(o.name, ''), coalesce(o.timezone, ''),
			(SELECT json_agg(json_build_object('id', s.id, 'kind', s.kind, 'at', s.at, 'public', s.visibility = 'public',
					'from', coalesce(fu.name, ''), 'to', coalesce(tu.name, ''), 'text', ` + text + `) ORDER BY s.n)
				FROM steps s LEFT JOIN units fu ON fu.id = s.from_unit_id LEFT JOIN units tu ON tu.id = s.to_unit_id
				WHERE s.protocol_id = p.id AND s.kind NOT IN ` + publicHiddenKinds + `),
			` + files + `,
			` + docs + `,
			` + pii + `
		FROM protocols p JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id
		LEFT JOIN organization o ON o.id = 1
		WHERE p.number = $1`
}

var (
	publicLookupBasicSQL    = publicLookupSQL(false, false)
	publicLookupKeySQL      = publicLookupSQL(true, false)
	publicLookupDocumentSQL = publicLookupSQL(true, true)
)

// decodePublicSteps reads the steps of PublicLookup (JSON from the
// database); private steps come out Internal with their kind and text
// dropped. stepIDs maps the database id of each public step to its index.
func decodePublicSteps(b []byte) ([]PublicStep, map[int64]int, error) {
	var rows []struct {
		ID     int64     `json:"id"`
		Kind   StepKind  `json:"kind"`
		At     time.Time `json:"at"`
		Public bool      `json:"public"`
		From   string    `json:"from"`
		To     string    `json:"to"`
		Text   string    `json:"text"`
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &rows); err != nil {
			return nil, nil, fmt.Errorf("decoding public steps: %w", err)
		}
	}
	steps := make([]PublicStep, 0, len(rows))
	stepIDs := make(map[int64]int, len(rows))
	for _, r := range rows {
		st := PublicStep{At: r.At, FromUnit: r.From, ToUnit: r.To}
		if r.Public {
			st.Kind, st.Text = r.Kind, r.Text
			stepIDs[r.ID] = len(steps)
		} else {
			st.Internal = true
		}
		steps = append(steps, st)
	}
	return steps, stepIDs, nil
}

// keyMatches compares a typed access key with the stored one in constant
// time. Case and surrounding spaces are forgiven (keys are upper case); an
// empty key never matches.
func keyMatches(stored, typed string) bool {
	typed = strings.ToUpper(strings.TrimSpace(typed))
	if typed == "" || stored == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(typed)) == 1
}

// documentMatches reports whether norm, a normalized CPF/CNPJ, equals one
// of the stored documents once they are normalized too.
func documentMatches(stored []string, norm string) bool {
	match := 0
	for _, d := range stored {
		d, ok := stripDocument(d)
		if ok {
			match |= subtle.ConstantTimeCompare([]byte(d), []byte(norm))
		}
	}
	return match == 1
}

// PublicAttachment returns file id of protocol n for download from the
// public lookup: only a file of a public step, and only with the protocol's
// access key (compared in constant time). Every refusal (unknown number or
// file, private step, wrong key) is ErrNotFound, so the answer tells nothing
// about files one may not see.
func (s *Service) PublicAttachment(ctx context.Context, n Number, id int64, key string) (PublicContent, error) {
	var c PublicContent
	if err := n.Valid(); err != nil {
		return c, err
	}
	var accessKey string
	var sum []byte
	err := s.pool.QueryRow(ctx, `
		SELECT p.access_key, a.filename, a.content_type, a.sha256
		FROM attachments a JOIN steps s ON s.id = a.step_id JOIN protocols p ON p.id = s.protocol_id
		WHERE p.number = $1 AND a.id = $2 AND a.protocol_id = p.id
			AND s.visibility = 'public' AND s.kind NOT IN `+publicHiddenKinds,
		n.String(), id).Scan(&accessKey, &c.Filename, &c.ContentType, &sum)
	if isNoRows(err) {
		return PublicContent{}, fmt.Errorf("file %d of protocol %s: %w", id, n, ErrNotFound)
	}
	if err != nil {
		return PublicContent{}, fmt.Errorf("looking up file %d of protocol %s: %w", id, n, err)
	}
	if !keyMatches(accessKey, key) {
		return PublicContent{}, fmt.Errorf("file %d of protocol %s: %w", id, n, ErrNotFound)
	}
	// The content is read only once the key is known to be right.
	err = s.pool.QueryRow(ctx, `SELECT content FROM blobs WHERE sha256 = $1`, sum).Scan(&c.Content)
	if err != nil {
		return PublicContent{}, fmt.Errorf("reading file %d of protocol %s: %w", id, n, err)
	}
	return c, nil
}

// Ping reports whether the database answers; the web layer's health check
// uses it.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}
