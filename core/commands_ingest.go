package core

import (
	"context"
	"fmt"
	"strings"
)

// authenticated reports whether the message proves it comes from st:
// a signed staff token for st (rule 1), or a From equal to st's registered
// address that passed DMARC/aligned DKIM per a trusted
// Authentication-Results header (RFC 8601). It returns why not, otherwise.
func (it *ingestTx) authenticated(st *Staff) (bool, string) {
	if it.in.Match.Rule == "token" && it.in.Match.StaffID == st.ID {
		// A staff reply address travels with every forward of a notice;
		// whoever holds one need only write the staff member's From. When
		// the trusted MX says that From failed DMARC, the address is not
		// enough.
		if it.in.SenderRefuted {
			return false, "o servidor de e-mail da organização reprovou o remetente (DMARC): " +
				"um endereço de resposta assinado não basta quando o remetente foi falsificado"
		}
		issued := it.in.Match.TokenIssued
		if issued.IsZero() || it.now.Sub(issued) <= it.s.cfg.StaffTokenLifetime {
			return true, "signed staff token"
		}
		return false, fmt.Sprintf("o endereço de resposta usado foi emitido em %s e vale %d dias; "+
			"responda a esta mensagem, que traz um endereço novo", issued.Format("02/01/2006"), int(it.s.cfg.StaffTokenLifetime.Hours()/24))
	}
	if it.in.Match.Rule == RuleSession && it.in.Match.StaffID == st.ID {
		return true, "staff site session"
	}
	if it.in.SenderVerified && strings.EqualFold(it.in.From.Email, st.Email) {
		return true, "DMARC/DKIM pass: " + it.in.AuthReason
	}
	reason := it.in.AuthReason
	if reason == "" {
		reason = "sem endereço de resposta assinado e sem autenticação DMARC/DKIM de um servidor confiável"
	}
	return false, reason
}

// staffCommands handles a message from staff member st that starts with
// `#` lines. Authenticated: the commands run (all or none) and st gets a
// transcript. Otherwise the text is recorded as written and a rejection
// notice goes to st's registered address. p is nil for a message that
// matched no protocol (staff opening a protocol on someone's behalf).
func (it *ingestTx) staffCommands(ctx context.Context, p *protocolRow, st *Staff, parsed ParsedCommands) error {
	if ok, reason := it.authenticated(st); !ok {
		return it.unverifiedStaff(ctx, p, st, reason, true)
	}
	if p == nil && onlyHelp(parsed) {
		return it.helpOnly(ctx, st, parsed)
	}
	sp, err := it.tx.Begin(ctx) // savepoint: all commands or none
	if err != nil {
		return fmt.Errorf("starting commands: %w", err)
	}
	defer sp.Rollback(ctx) //nolint:errcheck // no-op after commit
	r := &commandRun{it: it, tx: sp, staff: *st, cal: NewCalendar(it.org), parsed: parsed}
	saved := it.result.Notifications
	var opened *openedOnBehalf
	noteStep := 0 // the note keeping a refused message's text
	if p == nil {
		opened, err = r.openOnBehalf(ctx)
		if err != nil {
			return err
		}
	} else {
		r.p = *p
	}
	if !r.failed {
		if err := r.validate(ctx); err != nil {
			return err
		}
	}
	if !r.failed {
		if err := r.apply(ctx); err != nil {
			return err
		}
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("applying commands: %w", err)
		}
	} else {
		if err := sp.Rollback(ctx); err != nil {
			return fmt.Errorf("discarding commands: %w", err)
		}
		it.result.Notifications = saved[:len(saved):len(saved)]
		opened = nil
		r.stepText = 0 // a step written before the failing line is gone with the savepoint
		it.result.Protocol, it.result.Step = "", 0
		if p != nil {
			it.result.Protocol = p.Number
		}
		// Nothing was applied: no line may read as done.
		for i := range r.lines {
			if r.lines[i].OK {
				r.lines[i].OK = false
				r.lines[i].Result = "não aplicado (outra linha tem erro): " + r.lines[i].Result
			}
		}
		// The text and files of the attempt are not lost: they become a
		// private note on the protocol (DESIGN.md: nothing lost).
		if p != nil && (strings.TrimSpace(parsed.Dispatch) != "" || len(it.in.Attachments) > 0) {
			id, err := it.addStep(ctx, *p, stepSpec{kind: StepNote, visibility: Private, staffID: st.ID, fromUnit: p.UnitID})
			if err != nil {
				return err
			}
			if err := it.tx.QueryRow(ctx, `SELECT n FROM steps WHERE id = $1`, id).Scan(&noteStep); err != nil {
				return fmt.Errorf("reading the note's step: %w", err)
			}
			r.lines = append(r.lines, TranscriptLine{Line: "(texto da mensagem)", OK: true,
				Result: "guardado como nota interna do protocolo " + p.Number + ", com os comandos como escritos"})
		}
	}
	it.result.Outcome = OutcomeCommands
	it.result.Reason = fmt.Sprintf("%d command(s) %s", len(parsed.Commands), map[bool]string{true: "applied", false: "refused"}[!r.failed])
	data := map[string]any{"lines": r.lines, "applied": !r.failed}
	if r.help {
		data["help"] = HelpText
	}
	protocolID := int64(0)
	if p != nil {
		protocolID = p.ID
	}
	it.result.Transcript = &Transcript{Lines: r.lines, Applied: !r.failed, NoteStep: noteStep}
	if opened != nil {
		protocolID = opened.id
		data["number"], data["access_key"] = opened.number, opened.accessKey
		it.result.Transcript.Number, it.result.Transcript.AccessKey = opened.number, opened.accessKey
	}
	return it.queue(ctx, Notification{Kind: NotifyCommandResult, ProtocolID: protocolID, StepID: r.stepText,
		To: []string{st.Email}, StaffID: st.ID, Data: data})
}

// staffDispatch records a staff message without (accepted) commands as a
// dispatch with the type's default visibility; nobody outside the unit is told.
func (it *ingestTx) staffDispatch(ctx context.Context, p protocolRow, st *Staff) error {
	var vis Visibility
	if err := it.tx.QueryRow(ctx, `SELECT visibility FROM protocol_types WHERE id = $1`, p.TypeID).Scan(&vis); err != nil {
		return fmt.Errorf("loading type visibility: %w", err)
	}
	it.result.Outcome = OutcomeAppended
	_, err := it.addStep(ctx, p, stepSpec{kind: StepDispatch, visibility: vis, staffID: st.ID, fromUnit: p.UnitID})
	return err
}

// unverifiedStaff handles a message from st's address that does not prove
// it comes from st (no signed staff token, no trusted DMARC/DKIM pass):
// anyone can write a From. It never becomes a staff step: on protocol p it
// is recorded as a private message with no staff author (staff see it,
// the public lookup never does, and it is nobody's dispatch); with no
// protocol (commands opening one on someone's behalf) only the raw message
// is kept, so no protocol is opened in st's name and nothing is
// acknowledged. Either way st is told, at the registered address.
func (it *ingestTx) unverifiedStaff(ctx context.Context, p *protocolRow, st *Staff, reason string, commands bool) error {
	it.s.log.Warn("mail from a staff address without authentication", "staff_id", st.ID, "commands", commands, "reason", reason)
	if err := it.rejectedNotice(ctx, p, st, reason, commands); err != nil {
		return err
	}
	if p == nil {
		it.result.Outcome = OutcomeRejected
		it.result.Reason = "commands from a staff address without authentication: not applied, nothing opened (" + reason + ")"
		return nil
	}
	it.result.Outcome = OutcomeAppended
	it.result.Reason = "threaded by " + it.in.Match.Rule + "; from a staff address without authentication: kept as a private message (" + reason + ")"
	_, err := it.addStep(ctx, *p, stepSpec{kind: StepMessage, visibility: Private, toUnit: p.UnitID})
	return err
}

// rejectedNotice tells the registered address of st that a message in
// their name was not taken as theirs (commands not applied, or no
// dispatch recorded), and why (never the unverified From).
//
// Anyone can write st's address in From, so each such message would make
// the organization mail st: an attacker's flood of forged mail became a
// flood of official notices to one mailbox. At most AckLimit of them go to
// one address an hour (the rest are recorded and logged, not mailed).
func (it *ingestTx) rejectedNotice(ctx context.Context, p *protocolRow, st *Staff, reason string, commands bool) error {
	if limited, err := it.noticeLimited(ctx, NotifyCommandRejected, st.Email); err != nil || limited {
		return err
	}
	n := Notification{Kind: NotifyCommandRejected, To: []string{st.Email}, StaffID: st.ID,
		Data: map[string]any{"reason": reason, "subject": it.in.Subject, "from": it.in.From.Email, "no_commands": !commands}}
	if p != nil {
		n.ProtocolID = p.ID
	}
	return it.queue(ctx, n)
}

type openedOnBehalf struct {
	id        int64
	number    string
	accessKey string
}

// openOnBehalf opens a protocol for the person of #requerente (the other
// requester), with the type of #tipo or the routed one. The #requerente and
// #tipo lines are consumed here; the other commands then run on the new
// protocol. The acknowledgement goes to the requester's e-mail, not to the
// staff member, who gets the number and access key in the transcript.
func (r *commandRun) openOnBehalf(ctx context.Context) (*openedOnBehalf, error) {
	var person *Person
	var typeRef string
	var rest []Command
	for _, c := range r.parsed.Commands {
		switch {
		case c.Name == CmdRequester && c.Err == "":
			person = c.Fields
			r.lines = append(r.lines, TranscriptLine{Line: c.Line, OK: true, Result: "requerente: " + describePerson(*c.Fields)})
		case c.Name == CmdType && c.Err == "":
			typeRef = c.Arg
			r.lines = append(r.lines, TranscriptLine{Line: c.Line, OK: true, Result: "tipo: " + c.Arg})
		default:
			rest = append(rest, c)
		}
	}
	r.parsed.Commands = rest
	fail := func(line, msg string) (*openedOnBehalf, error) {
		r.lines = append(r.lines, TranscriptLine{Line: line, Result: msg})
		r.failed = true
		return nil, nil
	}
	if person == nil {
		return fail("(abertura)", "para abrir um protocolo em nome de alguém, informe #requerente com Nome:, CPF/CNPJ: e E-mail:")
	}
	var ty ProtocolType
	var err error
	if typeRef != "" {
		if ty, err = resolveType(ctx, r.tx, typeRef); err != nil {
			return fail("#tipo "+typeRef, err.Error())
		}
	} else if ty, err = r.it.routeType(ctx); err != nil {
		return nil, err
	}
	it := r.it
	p, key, deadline, err := it.createProtocol(ctx, r.tx, ty)
	if err != nil {
		return nil, err
	}
	o := &openedOnBehalf{id: p.ID, number: p.Number, accessKey: key}
	var email *string
	if person.Email != "" {
		email = &person.Email
	}
	if _, err := r.tx.Exec(ctx, `INSERT INTO participants (protocol_id, role, email, name, document, account, phone)
		VALUES ($1, 'other_requester', $2, $3, $4, $5, $6)`, o.id, email, person.Name, person.Document, person.Account, person.Phone); err != nil {
		return nil, fmt.Errorf("adding requester: %w", err)
	}
	r.p = p
	stepID, err := it.addStepTx(ctx, r.tx, r.p, stepSpec{kind: StepOpened, visibility: Public, staffID: r.staff.ID,
		toUnit: ty.UnitID, deadline: deadline, text: strings.TrimSpace(r.parsed.Dispatch), setText: true})
	if err != nil {
		return nil, err
	}
	r.stepText = stepID
	r.parsed.Dispatch = "" // the text is the opening; later commands carry no dispatch of their own
	if err := setOpeningDeadline(ctx, r.tx, p.ID, stepID, ty, deadline); err != nil {
		return nil, err
	}
	if email != nil {
		if err := it.queueOn(ctx, r.tx, Notification{Kind: NotifyAck, ProtocolID: o.id, StepID: stepID, To: []string{*email},
			Data: map[string]any{"on_behalf": true}}); err != nil {
			return nil, err
		}
	}
	if err := r.queueUnit(ctx, r.p, stepID, map[string]any{"event": "opened"}); err != nil {
		return nil, err
	}
	return o, nil
}

// maxListedOutside bounds the outside addresses an outside_recipients
// warning names; the rest are counted.
const maxListedOutside = 20

// warnOutsideRecipients tells st that a reply through st's staff reply
// address (threading rule 1, a token bound to st) was also addressed to
// people who are neither active staff nor one of our addresses: reply-all
// and hand-added recipients receive the quoted notice (the requester's
// data, internal dispatches) and the signed address, which acts in st's
// name until it expires. Requesters and participants count as outside
// too: what they may read is what Tramita sends them, not a staff
// member's mail (docs/decisions.md, "Replies that went outside"). Nothing
// is queued when there is no such recipient.
func (it *ingestTx) warnOutsideRecipients(ctx context.Context, p protocolRow, st *Staff) error {
	if it.in.Match.Rule != "token" || it.in.Match.StaffID != st.ID {
		return nil
	}
	seen := map[string]bool{strings.ToLower(it.in.From.Email): true, strings.ToLower(st.Email): true}
	var cands []string
	for _, c := range it.in.Cc {
		e := strings.ToLower(strings.TrimSpace(c.Email))
		if e == "" || seen[e] || IsOwnAddress(it.org, e) {
			continue
		}
		seen[e] = true
		cands = append(cands, e)
	}
	if len(cands) == 0 {
		return nil
	}
	rows, err := it.tx.Query(ctx, `SELECT email FROM staff WHERE active AND email = ANY($1)`, cands)
	if err != nil {
		return fmt.Errorf("looking up recipients among staff: %w", err)
	}
	staff := map[string]bool{}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return fmt.Errorf("looking up recipients among staff: %w", err)
		}
		staff[strings.ToLower(e)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("looking up recipients among staff: %w", err)
	}
	var outside []string
	for _, e := range cands {
		if !staff[e] {
			outside = append(outside, e)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	it.s.log.Warn("staff reply also went outside", "staff_id", st.ID, "protocol_id", p.ID, "outside", len(outside))
	data := map[string]any{"outside": outside[:min(len(outside), maxListedOutside)], "outside_count": len(outside),
		"subject": it.in.Subject}
	if issued := it.in.Match.TokenIssued; !issued.IsZero() {
		data["token_expires"] = issued.Add(it.s.cfg.StaffTokenLifetime)
	}
	return it.queue(ctx, Notification{Kind: NotifyOutsideRecipients, ProtocolID: p.ID, To: []string{st.Email}, StaffID: st.ID, Data: data})
}

// onlyHelp reports whether every command of parsed is #ajuda.
func onlyHelp(parsed ParsedCommands) bool {
	for _, c := range parsed.Commands {
		if c.Name != CmdHelp || c.Err != "" {
			return false
		}
	}
	return len(parsed.Commands) > 0
}

// helpOnly answers a staff member's #ajuda sent about no protocol (to the
// service address) with the command table: nothing is opened, and it is
// not an attempt to open a protocol on someone's behalf that lacks
// #requerente.
func (it *ingestTx) helpOnly(ctx context.Context, st *Staff, parsed ParsedCommands) error {
	var lines []TranscriptLine
	for _, c := range parsed.Commands {
		lines = append(lines, TranscriptLine{Line: c.Line, OK: true, Result: "tabela de comandos enviada abaixo"})
	}
	it.result.Outcome = OutcomeCommands
	it.result.Reason = "#ajuda about no protocol: the command table sent"
	it.result.Transcript = &Transcript{Lines: lines, Applied: true}
	return it.queue(ctx, Notification{Kind: NotifyCommandResult, To: []string{st.Email}, StaffID: st.ID,
		Data: map[string]any{"lines": lines, "applied": true, "help": HelpText}})
}
