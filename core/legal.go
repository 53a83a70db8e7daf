package core

import (
	"context"
	"fmt"
	"time"
)

// answerInfoRequest is called when the requester (or another participant)
// writes on a protocol awaiting the requester (#complementar), by mail or
// on the web: the protocol is back in progress and its legal deadline
// counts again in full from the answer (Lei 13.460/2017, art. 16; the
// request interrupts the deadline), with the extension added again when it
// was already granted. The requesters are told the new deadline. It does
// nothing for a protocol in any other status.
func (it *ingestTx) answerInfoRequest(ctx context.Context, p protocolRow, stepID int64) error {
	if p.Status != StatusAwaitingRequester {
		return nil
	}
	var spec, ext *string
	if err := it.tx.QueryRow(ctx, `SELECT legal_spec, CASE WHEN extended_at IS NOT NULL THEN extension_spec END FROM protocols WHERE id = $1`,
		p.ID).Scan(&spec, &ext); err != nil {
		return fmt.Errorf("loading legal deadline: %w", err)
	}
	cal := NewCalendar(it.org)
	var due *time.Time
	if spec != nil {
		if d, err := ParseDuration(*spec); err == nil {
			t := cal.Due(it.now, d)
			if ext != nil {
				if e, err := ParseDuration(*ext); err == nil {
					t = cal.Due(t, e)
				}
			}
			due = &t
		}
	}
	if _, err := it.tx.Exec(ctx, `UPDATE protocols SET status = 'open', legal_deadline = $2, info_answered_at = $3 WHERE id = $1`,
		p.ID, due, it.now); err != nil {
		return fmt.Errorf("resuming after the requester's answer: %w", err)
	}
	to, cc, err := requesterRecipients(ctx, it.tx, p.ID)
	if err != nil || len(to) == 0 {
		return err
	}
	data := map[string]any{"events": []string{"info_answered"}, "status": StatusOpen}
	if due != nil {
		data["legal_deadline"] = *due
	}
	return it.queue(ctx, Notification{Kind: NotifyStatusUpdate, ProtocolID: p.ID, StepID: stepID, To: to, Cc: cc, Data: data})
}
