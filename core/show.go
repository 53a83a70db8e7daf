package core

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// ProtocolView is a protocol with its whole history, as printed by
// `tramita show --json` (DESIGN.md, "Command line").
type ProtocolView struct {
	Number    string     `json:"number"`
	AccessKey string     `json:"access_key"`
	Status    Status     `json:"status"`
	Type      string     `json:"type"` // type code
	TypeName  string     `json:"type_name"`
	Unit      string     `json:"unit"` // code of the unit holding it
	UnitName  string     `json:"unit_name"`
	Subject   string     `json:"subject"`
	OpenedAt  time.Time  `json:"opened_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Deadline  *time.Time `json:"deadline"`
	// LegalDeadline is what the body owes the requester by law (the type's
	// legal_deadline from the opening, extended by #prorrogar, counted
	// again after #complementar); null when the type has none or while it
	// is interrupted (status awaiting_requester).
	LegalDeadline  *time.Time         `json:"legal_deadline"`
	Extended       bool               `json:"extended"`    // #prorrogar was used (once per protocol)
	LegalBasis     string             `json:"legal_basis"` // the type's legal basis, e.g. "Lei 13.460/2017, art. 16"
	Result         string             `json:"result"`      // the conclusion result (#concluir RESULTADO), "" when none
	Requester      *Person            `json:"requester"`
	OtherRequester *Person            `json:"other_requester"`
	Participants   []ParticipantView  `json:"participants"`
	Steps          []StepView         `json:"steps"`
	Notifications  []NotificationView `json:"notifications"`
	Failures       []FailureView      `json:"delivery_failures"`
}

// ParticipantView is one person on a protocol.
type ParticipantView struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Role    string `json:"role"` // requester, other_requester, cc
	Failing bool   `json:"failing"`
}

// StepView is one step (trâmite) of a protocol.
type StepView struct {
	N          int        `json:"n"`
	Kind       StepKind   `json:"kind"`
	At         time.Time  `json:"at"`
	Author     string     `json:"author"`      // e-mail of who wrote it
	AuthorName string     `json:"author_name"` // a staff member's registered name, else the From display name
	FromUnit   string     `json:"from_unit"`
	ToUnit     string     `json:"to_unit"`
	Visibility Visibility `json:"visibility"`
	Text       string     `json:"text"`
	// OriginalText is the whole decoded text body of the message the step
	// came from, quoted history, signatures and attribution included; ""
	// for steps without a message (web actions, commands).
	OriginalText string `json:"original_text"`
	// TextCut reports that Text is shorter than OriginalText: reply
	// extraction (mailin.SplitReply) left something out, and staff may
	// want to read the original.
	TextCut     bool             `json:"text_cut"`
	HasHTML     bool             `json:"has_html"`
	Deadline    *time.Time       `json:"deadline,omitempty"`
	Attachments []AttachmentView `json:"attachments"`
}

// AttachmentView is one file on a step.
type AttachmentView struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"` // bytes
	SHA256      string `json:"sha256"`
	Inline      bool   `json:"inline"`
}

// NotificationView is one outbound notification of a protocol.
type NotificationView struct {
	Kind      NotificationKind `json:"kind"`
	To        []string         `json:"to"`
	Cc        []string         `json:"cc"`
	Status    string           `json:"status"` // queued, sent, failed, held
	MessageID string           `json:"message_id"`
	// Reason says why a held notification is never sent (the
	// acknowledgement limit; every recipient failing); "" otherwise.
	Reason string `json:"reason,omitempty"`
}

// FailureView is one permanent delivery failure reported by a DSN.
type FailureView struct {
	Email  string    `json:"email"`
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// Show returns protocol n with its steps, participants and notifications,
// or ErrNotFound.
func (s *Service) Show(ctx context.Context, n Number) (ProtocolView, error) {
	var v ProtocolView
	var id int64
	err := s.pool.QueryRow(ctx, `
		SELECT p.id, p.number, p.access_key, p.status, t.code, t.name, u.code, u.name, p.subject, p.opened_at, p.updated_at, p.deadline,
			p.legal_deadline, p.extended_at IS NOT NULL, t.legal_basis, coalesce(p.result, '')
		FROM protocols p JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id
		WHERE p.number = $1`, n.String()).Scan(&id, &v.Number, &v.AccessKey, &v.Status, &v.Type, &v.TypeName, &v.Unit, &v.UnitName,
		&v.Subject, &v.OpenedAt, &v.UpdatedAt, &v.Deadline, &v.LegalDeadline, &v.Extended, &v.LegalBasis, &v.Result)
	if isNoRows(err) {
		return v, fmt.Errorf("protocol %s: %w", n, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("loading protocol %s: %w", n, err)
	}
	if err := s.loadPeople(ctx, id, &v); err != nil {
		return v, err
	}
	if err := s.loadSteps(ctx, id, &v); err != nil {
		return v, err
	}
	rows, err := s.pool.Query(ctx, `SELECT kind, to_addrs, cc_addrs, status, message_id, CASE WHEN status = 'held' THEN last_error ELSE '' END
		FROM notifications WHERE protocol_id = $1 ORDER BY id`, id)
	if err != nil {
		return v, fmt.Errorf("loading notifications: %w", err)
	}
	v.Notifications = []NotificationView{}
	for rows.Next() {
		var nv NotificationView
		if err := rows.Scan(&nv.Kind, &nv.To, &nv.Cc, &nv.Status, &nv.MessageID, &nv.Reason); err != nil {
			rows.Close()
			return v, fmt.Errorf("loading notifications: %w", err)
		}
		v.Notifications = append(v.Notifications, nv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("loading notifications: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT email, status, at FROM delivery_failures WHERE protocol_id = $1 ORDER BY id`, id)
	if err != nil {
		return v, fmt.Errorf("loading delivery failures: %w", err)
	}
	v.Failures = []FailureView{}
	for rows.Next() {
		var f FailureView
		if err := rows.Scan(&f.Email, &f.Status, &f.At); err != nil {
			rows.Close()
			return v, fmt.Errorf("loading delivery failures: %w", err)
		}
		v.Failures = append(v.Failures, f)
	}
	rows.Close()
	return v, rows.Err()
}

func (s *Service) loadPeople(ctx context.Context, id int64, v *ProtocolView) error {
	rows, err := s.pool.Query(ctx, `SELECT role, coalesce(email, ''), name, document, account, phone, failing_since IS NOT NULL
		FROM participants WHERE protocol_id = $1 AND active ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("loading participants: %w", err)
	}
	defer rows.Close()
	v.Participants = []ParticipantView{}
	for rows.Next() {
		var role string
		var p Person
		var failing bool
		if err := rows.Scan(&role, &p.Email, &p.Name, &p.Document, &p.Account, &p.Phone, &failing); err != nil {
			return fmt.Errorf("loading participants: %w", err)
		}
		switch role {
		case "requester":
			v.Requester = &p
		case "other_requester":
			v.OtherRequester = &p
		}
		if p.Email != "" {
			v.Participants = append(v.Participants, ParticipantView{Email: p.Email, Name: p.Name, Role: role, Failing: failing})
		}
	}
	return rows.Err()
}

func (s *Service) loadSteps(ctx context.Context, id int64, v *ProtocolView) error {
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.n, s.kind, s.at, s.author_email, coalesce(nullif(sa.name, ''), s.author_name), coalesce(fu.code, ''),
			coalesce(tu.code, ''), s.visibility, s.text, s.full_text, s.html <> '', s.deadline
		FROM steps s LEFT JOIN units fu ON fu.id = s.from_unit_id LEFT JOIN units tu ON tu.id = s.to_unit_id
			LEFT JOIN staff sa ON sa.id = s.author_staff_id
		WHERE s.protocol_id = $1 ORDER BY s.n`, id)
	if err != nil {
		return fmt.Errorf("loading steps: %w", err)
	}
	index := map[int64]int{}
	v.Steps = []StepView{}
	for rows.Next() {
		var st StepView
		var stepID int64
		if err := rows.Scan(&stepID, &st.N, &st.Kind, &st.At, &st.Author, &st.AuthorName, &st.FromUnit, &st.ToUnit, &st.Visibility, &st.Text,
			&st.OriginalText, &st.HasHTML, &st.Deadline); err != nil {
			rows.Close()
			return fmt.Errorf("loading steps: %w", err)
		}
		st.TextCut = textCut(st.Text, st.OriginalText)
		st.Attachments = []AttachmentView{}
		index[stepID] = len(v.Steps)
		v.Steps = append(v.Steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading steps: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT id, step_id, filename, content_type, size, encode(sha256, 'hex'), inline
		FROM attachments WHERE protocol_id = $1 ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("loading attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AttachmentView
		var stepID int64
		if err := rows.Scan(&a.ID, &stepID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.Inline); err != nil {
			return fmt.Errorf("loading attachments: %w", err)
		}
		if i, ok := index[stepID]; ok {
			v.Steps[i].Attachments = append(v.Steps[i].Attachments, a)
		}
	}
	return rows.Err()
}

// textCut reports whether the stored step text leaves out part of the
// message's original text (line endings, trailing white space on lines
// and blank lines at the ends ignored, as reply extraction normalizes
// them).
func textCut(text, original string) bool {
	// Command lines are read, not cut: a staff reply or a staff-site action
	// whose text is its dispatch after the commands lost nothing.
	if p := ParseCommands(original); len(p.Commands) > 0 {
		original = p.Dispatch
	}
	o := normalizeLines(original)
	return o != "" && normalizeLines(text) != o
}

// normalizeLines returns s with LF line endings, every line's trailing
// white space removed and outer white space trimmed.
func normalizeLines(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
