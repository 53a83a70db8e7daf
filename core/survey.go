package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// surveyPurpose separates survey links from other sealed tokens
// (Keyring.Seal): no reply, form or confirmation token passes for one.
const surveyPurpose = "survey"

// MaxSurveyComment is the longest survey comment kept, in characters.
const MaxSurveyComment = 2000

// Survey errors.
var (
	// ErrSurveyAnswered: the survey of this protocol was already answered
	// (once per protocol, Lei 13.460/2017, art. 23).
	ErrSurveyAnswered = errors.New("survey already answered")
	// ErrSurveyNotReady: the protocol is not concluded.
	ErrSurveyNotReady = errors.New("protocol not concluded")
	// ErrSurveyInvalid: a rating outside 1–5 or a comment too long.
	ErrSurveyInvalid = errors.New("invalid survey answer")
)

// SurveyToken returns the signed token of the satisfaction survey link
// /avaliar/TOKEN of protocolID: the protocol ID (uvarint) sealed for the
// purpose "survey" with the key ring of TRAMITA_SECRET. It does not expire
// (the requester may answer whenever; once per protocol).
func (s *Service) SurveyToken(protocolID int64) string {
	return s.cfg.Keys.Seal(surveyPurpose, binary.AppendUvarint(nil, uint64(protocolID)))
}

// SurveyView is what the survey page shows: no personal data.
type SurveyView struct {
	Number   string
	TypeName string
	UnitName string
	Result   string
	Status   Status
	Answered bool      // the survey was answered already
	Rating   int       // the answer, when Answered
	At       time.Time // when it was answered
	OrgName  string
}

// Survey returns the protocol a survey token names. Errors: ErrSealInvalid
// for a link that is not a survey link, or ErrNotFound.
func (s *Service) Survey(ctx context.Context, token string) (SurveyView, error) {
	id, err := s.surveyProtocol(token)
	if err != nil {
		return SurveyView{}, err
	}
	return s.surveyView(ctx, id)
}

// surveyProtocol returns the protocol id a survey token names, or the
// token's error.
func (s *Service) surveyProtocol(token string) (int64, error) {
	b, err := s.cfg.Keys.Open(surveyPurpose, token)
	if err != nil {
		return 0, fmt.Errorf("survey link: %w", err)
	}
	id, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) || id == 0 || id > 1<<62 {
		return 0, fmt.Errorf("survey link: %w: bad payload", ErrSealInvalid)
	}
	return int64(id), nil
}

// surveyView loads the survey page's view of protocol id.
func (s *Service) surveyView(ctx context.Context, id int64) (SurveyView, error) {
	var v SurveyView
	var rating *int
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT p.number, t.name, u.name, coalesce(p.result, ''), p.status, sv.rating, sv.at, coalesce(o.name, '')
		FROM protocols p JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id
		LEFT JOIN surveys sv ON sv.protocol_id = p.id LEFT JOIN organization o ON o.id = 1
		WHERE p.id = $1`, id).Scan(&v.Number, &v.TypeName, &v.UnitName, &v.Result, &v.Status, &rating, &at, &v.OrgName)
	if isNoRows(err) {
		return v, fmt.Errorf("survey of protocol %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("loading survey: %w", err)
	}
	if rating != nil {
		v.Answered, v.Rating, v.At = true, *rating, *at
	}
	return v, nil
}

// AnswerSurvey records the satisfaction survey of the protocol the token
// names: a rating from 1 to 5 and an optional comment (trimmed, at most
// MaxSurveyComment characters). Once per protocol: a second answer gives
// ErrSurveyAnswered and changes nothing. The protocol must have been
// concluded (ErrSurveyNotReady otherwise).
func (s *Service) AnswerSurvey(ctx context.Context, token string, rating int, comment string) (SurveyView, error) {
	id, err := s.surveyProtocol(token)
	if err != nil {
		return SurveyView{}, err
	}
	v, err := s.surveyView(ctx, id)
	if err != nil {
		return v, err
	}
	comment = strings.TrimSpace(comment)
	if rating < 1 || rating > 5 || utf8.RuneCountInString(comment) > MaxSurveyComment || !utf8.ValidString(comment) {
		return v, ErrSurveyInvalid
	}
	if v.Answered {
		return v, ErrSurveyAnswered
	}
	now := s.now()
	tag, err := s.pool.Exec(ctx, `WITH answer AS (
			INSERT INTO surveys (protocol_id, rating, comment, at)
			SELECT id, $2, $3, $4 FROM protocols WHERE id = $1 AND concluded_at IS NOT NULL
			ON CONFLICT (protocol_id) DO NOTHING
			RETURNING protocol_id, rating)
		UPDATE protocols p SET survey_rating = a.rating FROM answer a WHERE p.id = a.protocol_id`, id, rating, comment, now)
	if err != nil {
		return v, fmt.Errorf("recording survey: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var concluded bool
		if err := s.pool.QueryRow(ctx, `SELECT concluded_at IS NOT NULL FROM protocols WHERE id = $1`, id).Scan(&concluded); err != nil {
			return v, fmt.Errorf("recording survey: %w", err)
		}
		if !concluded {
			return v, ErrSurveyNotReady
		}
		return v, ErrSurveyAnswered // a concurrent answer won
	}
	v.Answered, v.Rating, v.At = true, rating, now
	s.log.Info("survey answered", "protocol", v.Number, "rating", rating)
	return v, nil
}
