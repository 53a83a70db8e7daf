package core

import (
	"context"
	"fmt"
	"strings"
)

// requesterRecipients returns who requester mail goes to: To the requester
// (its Reply-To when given) and the other requester, Cc the Cc'd
// participants of the opening (DESIGN.md, case 014).
func requesterRecipients(ctx context.Context, db DBTX, protocolID int64) (to, cc []string, err error) {
	rows, err := db.Query(ctx, `SELECT role, coalesce(reply_to, email) FROM participants
		WHERE protocol_id = $1 AND active AND email IS NOT NULL ORDER BY role <> 'requester', id`, protocolID)
	if err != nil {
		return nil, nil, fmt.Errorf("loading requesters: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var role, email string
		if err := rows.Scan(&role, &email); err != nil {
			return nil, nil, fmt.Errorf("loading requesters: %w", err)
		}
		if seen[email] {
			continue
		}
		seen[email] = true
		if role == "cc" {
			cc = append(cc, email)
		} else {
			to = append(to, email)
		}
	}
	return to, cc, rows.Err()
}

// apply carries out validated commands on r.p inside r.tx, in a fixed
// order, and queues what they cause.
func (r *commandRun) apply(ctx context.Context) error {
	it, tx, p := r.it, r.tx, r.p
	dispatch := strings.TrimSpace(r.parsed.Dispatch)
	// Without #publico or #privado a dispatch takes its type's default
	// visibility: the new type's when #tipo changes it in the same message
	// (docs/decisions.md, "#tipo and the dispatch of the same message").
	vis := r.visibility
	switch {
	case vis != "":
	case r.newType != nil:
		vis = r.newType.Visibility
	default:
		if err := tx.QueryRow(ctx, `SELECT visibility FROM protocol_types WHERE id = $1`, p.TypeID).Scan(&vis); err != nil {
			return fmt.Errorf("loading type visibility: %w", err)
		}
	}
	switch {
	case r.reply:
		vis = Public
	case r.note:
		vis = Private
	}
	bare := func(kind StepKind, v Visibility, from, to int64, text string) (int64, error) {
		return it.addStepTx(ctx, tx, p, stepSpec{kind: kind, visibility: v, staffID: r.staff.ID, fromUnit: from, toUnit: to,
			text: text, setText: true, bare: true})
	}
	withText := func(kind StepKind, v Visibility, from, to int64, sp stepSpec) (int64, error) {
		sp.kind, sp.visibility, sp.staffID, sp.fromUnit, sp.toUnit = kind, v, r.staff.ID, from, to
		sp.text, sp.setText = dispatch, true
		id, err := it.addStepTx(ctx, tx, p, sp)
		r.stepText = id
		return id, err
	}

	if r.otherRequester != nil {
		o := r.otherRequester
		if _, err := tx.Exec(ctx, `UPDATE participants SET active = false WHERE protocol_id = $1 AND role = 'other_requester' AND active`, p.ID); err != nil {
			return fmt.Errorf("replacing other requester: %w", err)
		}
		var email *string
		if o.Email != "" {
			email = &o.Email
		}
		if _, err := tx.Exec(ctx, `INSERT INTO participants (protocol_id, role, email, name, document, account, phone)
			VALUES ($1, 'other_requester', $2, $3, $4, $5, $6)`, p.ID, email, o.Name, o.Document, o.Account, o.Phone); err != nil {
			return fmt.Errorf("saving other requester: %w", err)
		}
		if _, err := bare(StepRequesterChanged, Private, p.UnitID, 0, "Requerente: "+describePerson(*o)); err != nil {
			return err
		}
	}
	if r.newType != nil {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET type_id = $2 WHERE id = $1`, p.ID, r.newType.ID); err != nil {
			return fmt.Errorf("changing type: %w", err)
		}
		if _, err := bare(StepTypeChanged, Public, p.UnitID, 0, "Tipo: "+r.newType.Name); err != nil {
			return err
		}
		p.TypeID = r.newType.ID
		// The requester was told the type at opening (DESIGN.md, "Routing"),
		// and the change is a public step: they are told it changed, as of
		// every public change of their protocol (docs/decisions.md).
		r.events = append(r.events, "type_changed")
	}
	if r.reopen {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET status = 'open', concluded_at = NULL, result = NULL WHERE id = $1`, p.ID); err != nil {
			return fmt.Errorf("reopening: %w", err)
		}
		if _, err := bare(StepReopened, Public, p.UnitID, 0, ""); err != nil {
			return err
		}
		r.events = append(r.events, "reopened")
	}
	if r.forwardTo != nil {
		sp := stepSpec{}
		if r.deadlineSet {
			sp.deadline = r.deadline
		}
		stepID, err := withText(StepForwarded, vis, p.UnitID, r.forwardTo.ID, sp)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE protocols SET unit_id = $2, deadline = $3, deadline_step_id = $4, deadline_business = $5 WHERE id = $1`,
			p.ID, r.forwardTo.ID, sp.deadline, stepID, r.deadlineBiz); err != nil {
			return fmt.Errorf("forwarding: %w", err)
		}
		from := p.UnitID
		p.UnitID = r.forwardTo.ID
		data := map[string]any{"event": "forwarded", "dispatch": dispatch, "from_unit": from, "deadline": sp.deadline}
		if err := r.queueUnit(ctx, p, stepID, data); err != nil {
			return err
		}
		r.events = append(r.events, "forwarded")
	} else if r.deadlineSet {
		text := "Prazo removido"
		if r.deadline != nil {
			text = "Prazo: " + r.deadline.In(r.cal.loc()).Format("02/01/2006 15:04")
		}
		stepID, err := it.addStepTx(ctx, tx, p, stepSpec{kind: StepDeadline, visibility: Private, staffID: r.staff.ID,
			fromUnit: p.UnitID, deadline: r.deadline, text: text, setText: true, bare: true})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE protocols SET deadline = $2, deadline_step_id = $3, deadline_business = $4 WHERE id = $1`,
			p.ID, r.deadline, stepID, r.deadlineBiz); err != nil {
			return fmt.Errorf("setting deadline: %w", err)
		}
	}
	if r.extendedTo != nil {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET legal_deadline = $2, extended_at = $3, extension_spec = $4 WHERE id = $1`,
			p.ID, r.extendedTo, it.now, r.extensionSpec); err != nil {
			return fmt.Errorf("extending the legal deadline: %w", err)
		}
		// Public: the law wants the reason known to the requester.
		if _, err := bare(StepExtended, Public, p.UnitID, 0, r.extendReason); err != nil {
			return err
		}
		r.events = append(r.events, "extended")
	}
	if r.infoRequest != "" {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET status = 'awaiting_requester', legal_deadline = NULL, info_requested_at = $2
			WHERE id = $1`, p.ID, it.now); err != nil {
			return fmt.Errorf("asking the requester: %w", err)
		}
		if r.infoFromText {
			// The dispatch is the request: it goes on this public step with the files.
			if _, err := withText(StepInfoRequested, Public, p.UnitID, 0, stepSpec{}); err != nil {
				return err
			}
		} else if _, err := bare(StepInfoRequested, Public, p.UnitID, 0, r.infoRequest); err != nil {
			return err
		}
		r.events = append(r.events, "info_requested")
	}
	hasContent := dispatch != "" || len(it.in.Attachments) > 0
	if r.stepText == 0 {
		var err error
		switch {
		case r.reply:
			_, err = withText(StepReply, Public, p.UnitID, 0, stepSpec{})
		case r.note:
			_, err = withText(StepNote, Private, p.UnitID, 0, stepSpec{})
		case r.closeIt:
			// the dispatch goes on the conclusion step below
		case hasContent:
			_, err = withText(StepDispatch, vis, p.UnitID, 0, stepSpec{})
		}
		if err != nil {
			return err
		}
	}
	if r.suspendReason != "" {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET status = 'suspended', suspended_at = $2 WHERE id = $1`, p.ID, it.now); err != nil {
			return fmt.Errorf("suspending: %w", err)
		}
		if _, err := bare(StepSuspended, Public, p.UnitID, 0, r.suspendReason); err != nil {
			return err
		}
		r.events = append(r.events, "suspended")
	}
	if r.resume {
		// The deadline clock stopped while suspended: push it by the pause.
		if _, err := tx.Exec(ctx, `UPDATE protocols SET status = 'open', deadline = deadline + ($2 - suspended_at), suspended_at = NULL
			WHERE id = $1`, p.ID, it.now); err != nil {
			return fmt.Errorf("resuming: %w", err)
		}
		if _, err := bare(StepResumed, Public, p.UnitID, 0, ""); err != nil {
			return err
		}
		r.events = append(r.events, "resumed")
	}
	if r.closeIt {
		if _, err := tx.Exec(ctx, `UPDATE protocols SET status = 'concluded', concluded_at = $2, suspended_at = NULL, result = nullif($3, '')
			WHERE id = $1`, p.ID, it.now, r.result); err != nil {
			return fmt.Errorf("concluding: %w", err)
		}
		// The conclusion itself is always public; a private dispatch goes on
		// its own step so the public history still says "concluído".
		switch {
		case r.stepText == 0 && hasContent && vis == Public:
			if _, err := withText(StepConcluded, Public, p.UnitID, 0, stepSpec{}); err != nil {
				return err
			}
		default:
			if r.stepText == 0 && hasContent {
				if _, err := withText(StepDispatch, vis, p.UnitID, 0, stepSpec{}); err != nil {
					return err
				}
			}
			if _, err := bare(StepConcluded, Public, p.UnitID, 0, ""); err != nil {
				return err
			}
		}
		r.events = append(r.events, "concluded")
	}
	if _, err := tx.Exec(ctx, `UPDATE protocols SET updated_at = $2 WHERE id = $1`, p.ID, it.now); err != nil {
		return fmt.Errorf("touching protocol: %w", err)
	}
	r.p = p
	return r.notifyRequesters(ctx, dispatch, vis)
}

// queueUnit tells the staff of the protocol's (new) unit, with the full
// dispatch and files.
func (r *commandRun) queueUnit(ctx context.Context, p protocolRow, stepID int64, data map[string]any) error {
	return r.it.queueUnitOn(ctx, r.tx, p.UnitID, Notification{Kind: NotifyUnitNotice, ProtocolID: p.ID, StepID: stepID, Data: data})
}

// notifyRequesters queues the public answer (#responder) and one status
// update listing what changed (forwarded, concluded, …), to the requester
// and other requester with the Cc'd participants in copy.
func (r *commandRun) notifyRequesters(ctx context.Context, dispatch string, vis Visibility) error {
	if !r.reply && len(r.events) == 0 {
		return nil
	}
	to, cc, err := requesterRecipients(ctx, r.tx, r.p.ID)
	if err != nil || len(to) == 0 {
		return err
	}
	var unitCode, unitName, status string
	if err := r.tx.QueryRow(ctx, `SELECT u.code, u.name, p.status FROM protocols p JOIN units u ON u.id = p.unit_id WHERE p.id = $1`,
		r.p.ID).Scan(&unitCode, &unitName, &status); err != nil {
		return fmt.Errorf("loading protocol unit: %w", err)
	}
	queue := func(n Notification) error {
		n.ProtocolID, n.StepID, n.To, n.Cc = r.p.ID, r.stepText, to, cc
		return r.it.queueOn(ctx, r.tx, n)
	}
	if r.reply {
		if err := queue(Notification{Kind: NotifyReply, Data: map[string]any{"dispatch": dispatch}}); err != nil {
			return err
		}
	}
	if len(r.events) == 0 {
		return nil
	}
	data := map[string]any{"events": r.events, "unit": unitCode, "unit_name": unitName, "status": status}
	if r.forwardTo != nil && r.deadlineSet && r.deadline != nil {
		data["new_deadline"] = *r.deadline // the deadline the forward gave the new unit
	}
	if vis == Public && !r.reply && dispatch != "" {
		data["dispatch"] = dispatch
	}
	var reasons []string
	for _, s := range []string{r.suspendReason, r.extendReason} {
		if s != "" {
			reasons = append(reasons, s)
		}
	}
	if len(reasons) > 0 {
		data["reason"] = strings.Join(reasons, "; ")
	}
	if r.extendedTo != nil {
		data["legal_deadline"] = *r.extendedTo
	}
	if r.infoRequest != "" {
		data["request"] = r.infoRequest
		delete(data, "dispatch") // it is the request
	}
	if r.closeIt {
		// The conclusion mail: result, public answer and the survey link,
		// while the survey has no answer (Lei 13.460/2017, art. 23).
		data["result"] = r.result
		var answered bool
		if err := r.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM surveys WHERE protocol_id = $1)`, r.p.ID).Scan(&answered); err != nil {
			return fmt.Errorf("checking survey: %w", err)
		}
		if !answered {
			data["survey_token"] = r.it.s.SurveyToken(r.p.ID)
		}
		return queue(Notification{Kind: NotifyConclusion, Data: data})
	}
	return queue(Notification{Kind: NotifyStatusUpdate, Data: data})
}
