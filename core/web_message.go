package core

import (
	"context"
	"fmt"
	"strings"
)

// WebMessage is what a requester sends from the keyed lookup page
// ("Enviar mensagem / complementar"): text for protocol Number, proven by
// its access key, with the files kept for the form (SaveWebUploads).
type WebMessage struct {
	FormID string // the signed form token's ID: the same form never appends twice
	Number Number
	Key    string // access key as typed or from the link
	Text   string
	Raw    []byte // the message as an RFC 5322 message (the door writes it, Message-ID WebMessageID)
}

// SendWebMessage appends m to its protocol through the same ingest path as
// a reply by mail from the requester: a public `message` step with the
// files, and a requester_message notice to the holding unit. A wrong key or
// number gives ErrNotFound (the same answer for both). The same FormID
// again gives OutcomeDuplicate and changes nothing.
func (s *Service) SendWebMessage(ctx context.Context, m WebMessage) (IngestResult, error) {
	var id int64
	var stored, email, name string
	err := s.pool.QueryRow(ctx, `
		SELECT p.id, p.access_key, coalesce(pa.email, ''), coalesce(pa.name, '')
		FROM protocols p
		LEFT JOIN LATERAL (SELECT email, name FROM participants WHERE protocol_id = p.id AND role = 'requester' AND active
			ORDER BY id LIMIT 1) pa ON true
		WHERE p.number = $1`, m.Number.String()).Scan(&id, &stored, &email, &name)
	if isNoRows(err) || err == nil && !keyMatches(stored, m.Key) {
		return IngestResult{}, ErrNotFound
	}
	if err != nil {
		return IngestResult{}, fmt.Errorf("finding protocol: %w", err)
	}
	org, err := s.Organization(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	files, err := webUploadFiles(ctx, s.pool, m.FormID)
	if err != nil {
		return IngestResult{}, err
	}
	text := strings.TrimSpace(m.Text)
	res, err := s.Ingest(ctx, Inbound{
		Raw: m.Raw, Source: Source{Kind: SourceWeb}, MessageID: WebMessageID(m.FormID, org.Address),
		From: Address{Name: name, Email: email}, Recipients: []string{org.Address},
		Text: text, FullText: text, Attachments: files, Class: ClassNormal,
		Match: Match{ProtocolID: id, Rule: "web"},
	})
	if err != nil {
		return res, err
	}
	// The files are attachments of the step now (or of the earlier copy).
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_uploads WHERE form_id = $1`, m.FormID); err != nil {
		s.log.Warn("dropping kept files of a sent message", "error", err)
	}
	return res, nil
}
