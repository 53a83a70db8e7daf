package core

import (
	"errors"
	"sync"
	"time"
)

// Sentinel errors for expected outcomes; callers test them with errors.Is.
var (
	// ErrNotFound is returned when a protocol, unit, staff member or type does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoOrganization is returned before `tramita org apply` has run.
	ErrNoOrganization = errors.New("organization not configured: run `tramita org apply FILE`")
)

// Status is the state of a Protocol.
type Status string

// Protocol statuses.
const (
	StatusOpen      Status = "open"
	StatusSuspended Status = "suspended"
	StatusConcluded Status = "concluded"
	// StatusAwaitingRequester: the body asked the requester for
	// information (#complementar); the legal deadline is interrupted
	// until the answer, then counted again in full.
	StatusAwaitingRequester Status = "awaiting_requester"
)

// Visibility says whether a step's dispatch and files appear on the public lookup.
type Visibility string

// Visibilities.
const (
	Public  Visibility = "public"
	Private Visibility = "private"
)

// StepKind names what a Step records (see DESIGN.md, "show --json").
type StepKind string

// Step kinds.
const (
	StepOpened           StepKind = "opened"
	StepMessage          StepKind = "message"
	StepForwarded        StepKind = "forwarded"
	StepDispatch         StepKind = "dispatch"
	StepReply            StepKind = "reply"
	StepNote             StepKind = "note"
	StepConcluded        StepKind = "concluded"
	StepReopened         StepKind = "reopened"
	StepSuspended        StepKind = "suspended"
	StepResumed          StepKind = "resumed"
	StepDeadline         StepKind = "deadline"
	StepTypeChanged      StepKind = "type_changed"
	StepRequesterChanged StepKind = "requester_changed"
	StepAutoReply        StepKind = "auto_reply"
	StepBounce           StepKind = "bounce"
	StepExtended         StepKind = "extended"       // #prorrogar: the legal deadline was extended (public, with the reason)
	StepInfoRequested    StepKind = "info_requested" // #complementar: the requester was asked for information (public)
)

// NotificationKind names an outbound notification (DESIGN.md, "Notifications").
type NotificationKind string

// Notification kinds.
const (
	NotifyAck              NotificationKind = "ack"
	NotifyUnitNotice       NotificationKind = "unit_notice"
	NotifyStatusUpdate     NotificationKind = "status_update"
	NotifyReply            NotificationKind = "reply"
	NotifyRequesterMessage NotificationKind = "requester_message"
	NotifyCommandResult    NotificationKind = "command_result"
	NotifyCommandRejected  NotificationKind = "command_rejected"
	NotifyDeliveryFailed   NotificationKind = "delivery_failed"
	NotifyTooLarge         NotificationKind = "too_large"
	NotifyReminderDueSoon  NotificationKind = "reminder_due_soon"
	NotifyReminderDue      NotificationKind = "reminder_due"
	NotifyOverdueDigest    NotificationKind = "overdue_digest"
	NotifyIntakeFailed     NotificationKind = "intake_failed" // a received message was quarantined: to the admins
	NotifySignInLink       NotificationKind = "signin_link"   // a one-time staff site sign-in link: to the staff member
	NotifyIntakeAlert      NotificationKind = "intake_alert"  // a door (IMAP, LMTP, SMTP) failing, or working again: to the admins
	// NotifyConclusion is the mail telling the requesters their protocol
	// was concluded, with the result and the satisfaction survey link
	// (Lei 13.460/2017, art. 23).
	NotifyConclusion NotificationKind = "conclusion"
	NotifyWebConfirm NotificationKind = "web_confirm" // the confirmation link of a web form submission (no protocol yet)
	// NotifyOutsideRecipients warns a staff member that their reply
	// through a staff reply address also went to addresses that are
	// neither staff nor ours: those got the quoted notice and the signed
	// address that acts in the staff member's name.
	NotifyOutsideRecipients NotificationKind = "outside_recipients"
)

// Role is a staff member's role; it decides what they may command.
type Role string

// Staff roles.
const (
	RoleStaff   Role = "staff"   // may command protocols held by one of their units
	RoleManager Role = "manager" // also reassigns within their units
	RoleAdmin   Role = "admin"   // anywhere
)

// Organization is the body running this instance (one per database).
type Organization struct {
	Name             string
	NUPUnit          string   // 5-digit code of the protocolling unit (NUP)
	Address          string   // service address, lower-case, e.g. protocolo@orgao.example.gov.br
	Timezone         string   // IANA name, e.g. America/Maceio
	Holidays         []string // local holidays, YYYY-MM-DD
	OptionalHolidays bool     // Carnaval and Corpus Christi count as holidays
	AuthservIDs      []string // trusted Authentication-Results producers (RFC 8601)
	TagWord          string   // word of the subject tag, default "Protocolo"
	DefaultTypeCode  string   // type of mail to the plain service address
	// StaffSignIn is the staff site's sign-in policy (organization.staff_signin).
	StaffSignIn SignInPolicy
	// OtherAddresses are Tramita's addresses besides Address: the types'
	// addresses and the units' shared mailboxes, lower-case.
	OtherAddresses []string
}

// Location returns the organization's time zone, or America/Sao_Paulo when
// the name is empty or unknown to this system's zoneinfo. Zones are loaded
// once per process (time.LoadLocation reads the zoneinfo file each call).
func (o Organization) Location() *time.Location {
	if loc, ok := zones.Load(o.Timezone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil || o.Timezone == "" {
		if loc, err = time.LoadLocation("America/Sao_Paulo"); err != nil {
			loc = time.UTC
		}
	}
	zones.Store(o.Timezone, loc)
	return loc
}

// zones caches Organization.Location by zone name.
var zones sync.Map

// Unit is an organizational unit (unidade).
type Unit struct {
	ID     int64
	Code   string // e.g. GCOM
	Name   string
	Email  string // shared mailbox for informational copies; "" when none
	Active bool
}

// Staff is a staff member (servidor / atendente).
type Staff struct {
	ID      int64
	Email   string
	Name    string
	Role    Role
	UnitIDs []int64
	Active  bool
}

// ProtocolType is a pre-registered type of request (tipo de protocolo).
type ProtocolType struct {
	ID          int64
	Code        string
	Name        string
	Description string
	UnitID      int64      // default destination unit
	Deadline    string     // default deadline spec (5d, 5du, 48h) or ""
	Visibility  Visibility // default visibility of staff dispatches
	// LegalDeadline is the deadline the law gives the body to answer the
	// requester, e.g. "30dc" (Lei 13.460/2017, art. 16); "" for none.
	LegalDeadline string
	// Extension is how far one #prorrogar pushes the legal deadline, e.g.
	// "30dc"; "" when the type allows none.
	Extension string
	// LegalBasis is the shown text naming the law, e.g. "Lei 13.460/2017, art. 16".
	LegalBasis string
	// Results are the allowed conclusion results; when not empty,
	// #concluir needs one of them.
	Results []string
}

// Person is a requester or other requester (requerente).
type Person struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Document string `json:"document"` // CPF/CNPJ normalized (digits and upper-case letters)
	Account  string `json:"account"`  // matrícula
	Phone    string `json:"phone"`
}

// Address is a mailbox: display name and addr-spec (lower-case).
type Address struct {
	Name  string
	Email string
}
