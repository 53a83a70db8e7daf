package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// OrgSpec is the organization file of `tramita org apply` (DESIGN.md,
// "Organization file"). Field tags name the YAML keys.
type OrgSpec struct {
	Organization struct {
		Name             string   `yaml:"name"`
		NUPUnit          string   `yaml:"nup_unit"`
		Address          string   `yaml:"address"`
		Timezone         string   `yaml:"timezone"`
		Holidays         []string `yaml:"holidays"`
		OptionalHolidays *bool    `yaml:"optional_holidays"`
		AuthservIDs      []string `yaml:"authserv_ids"`
		TagWord          string   `yaml:"tag_word"`
		DefaultType      string   `yaml:"default_type"`
		// StaffSignIn is the staff site's sign-in policy: "any" (the
		// default) or "password_totp" (SignInPolicy).
		StaffSignIn string `yaml:"staff_signin"`
	} `yaml:"organization"`
	Units []OrgUnit  `yaml:"units"`
	Staff []OrgStaff `yaml:"staff"`
	Types []OrgType  `yaml:"types"`
}

// OrgUnit is a unit of the organization file.
type OrgUnit struct {
	Code  string `yaml:"code"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

// OrgStaff is a staff member of the organization file.
type OrgStaff struct {
	Email string   `yaml:"email"`
	Name  string   `yaml:"name"`
	Units []string `yaml:"units"`
	Role  string   `yaml:"role"`
}

// OrgType is a protocol type of the organization file.
type OrgType struct {
	Code        string   `yaml:"code"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Unit        string   `yaml:"unit"`
	Addresses   []string `yaml:"addresses"`
	Deadline    string   `yaml:"deadline"`
	Visibility  string   `yaml:"visibility"`
	// LegalDeadline is what the body owes the requester by law, e.g.
	// 30dc (Lei 13.460/2017, art. 16) or 20dc (Lei 12.527/2011, art. 11).
	LegalDeadline string `yaml:"legal_deadline"`
	// Extension is how far #prorrogar pushes the legal deadline, once.
	Extension string `yaml:"extension"`
	// LegalBasis is the law shown with the deadline, free text.
	LegalBasis string `yaml:"legal_basis"`
	// Results are the allowed conclusion results; when given, #concluir
	// needs one of them.
	Results []string `yaml:"results"`
	// The public form's settings (document, account_label, max_files,
	// max_file_bytes, web).
	TypeWebSpec `yaml:",inline"`
}

// ErrInvalidOrg wraps every validation error of an organization file.
var ErrInvalidOrg = errors.New("invalid organization file")

var (
	nupUnitRe  = regexp.MustCompile(`^[0-9]{5}$`)
	unitCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

// Validate checks the file and returns every problem found, joined, each
// wrapping ErrInvalidOrg.
func (o *OrgSpec) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidOrg, fmt.Sprintf(format, a...)))
	}
	org := &o.Organization
	if strings.TrimSpace(org.Name) == "" {
		bad("organization.name is empty")
	}
	if !nupUnitRe.MatchString(org.NUPUnit) {
		bad("organization.nup_unit %q must be 5 digits", org.NUPUnit)
	}
	if !strings.Contains(org.Address, "@") {
		bad("organization.address %q is not an e-mail address", org.Address)
	}
	if org.Timezone != "" {
		if _, err := time.LoadLocation(org.Timezone); err != nil {
			bad("organization.timezone %q: %v", org.Timezone, err)
		}
	}
	if _, err := ParseSignInPolicy(org.StaffSignIn); err != nil {
		bad("organization.staff_signin: %v", err)
	}
	for _, h := range org.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			bad("organization.holidays: %q is not a YYYY-MM-DD date", h)
		}
	}
	units := map[string]bool{}
	for i, u := range o.Units {
		code := strings.ToUpper(u.Code)
		switch {
		case !unitCodeRe.MatchString(u.Code):
			bad("units[%d].code %q must be 1-32 letters, digits, - or _", i, u.Code)
		case units[code]:
			bad("units[%d].code %q appears twice", i, u.Code)
		}
		units[code] = true
		if strings.TrimSpace(u.Name) == "" {
			bad("units[%d] (%s): name is empty", i, u.Code)
		}
		if u.Email != "" && !strings.Contains(u.Email, "@") {
			bad("units[%d] (%s): email %q is not an e-mail address", i, u.Code, u.Email)
		}
	}
	seenStaff := map[string]bool{}
	for i, s := range o.Staff {
		email := strings.ToLower(strings.TrimSpace(s.Email))
		if !strings.Contains(email, "@") {
			bad("staff[%d].email %q is not an e-mail address", i, s.Email)
		}
		if seenStaff[email] {
			bad("staff[%d].email %q appears twice", i, s.Email)
		}
		seenStaff[email] = true
		switch Role(s.Role) {
		case "", RoleStaff, RoleManager, RoleAdmin:
		default:
			bad("staff[%d] (%s): role %q must be staff, manager or admin", i, s.Email, s.Role)
		}
		for _, u := range s.Units {
			if !units[strings.ToUpper(u)] {
				bad("staff[%d] (%s): unknown unit %q", i, s.Email, u)
			}
		}
	}
	if len(o.Types) == 0 {
		bad("types: at least one protocol type is needed")
	}
	types := map[string]bool{}
	for i, t := range o.Types {
		code := strings.ToUpper(t.Code)
		if !unitCodeRe.MatchString(t.Code) {
			bad("types[%d].code %q must be 1-32 letters, digits, - or _", i, t.Code)
		}
		if types[code] {
			bad("types[%d].code %q appears twice", i, t.Code)
		}
		types[code] = true
		if strings.TrimSpace(t.Name) == "" {
			bad("types[%d] (%s): name is empty", i, t.Code)
		}
		if !units[strings.ToUpper(t.Unit)] {
			bad("types[%d] (%s): unknown unit %q", i, t.Code, t.Unit)
		}
		if t.Deadline != "" {
			if _, err := ParseDuration(t.Deadline); err != nil {
				bad("types[%d] (%s): deadline %q: %v", i, t.Code, t.Deadline, err)
			}
		}
		switch Visibility(t.Visibility) {
		case "", Public, Private:
		default:
			bad("types[%d] (%s): visibility %q must be public or private", i, t.Code, t.Visibility)
		}
		for _, msg := range t.TypeWebSpec.problems() {
			bad("types[%d] (%s): %s", i, t.Code, msg)
		}
		for key, v := range map[string]string{"legal_deadline": t.LegalDeadline, "extension": t.Extension} {
			if v == "" {
				continue
			}
			if d, err := ParseDuration(v); err != nil {
				bad("types[%d] (%s): %s %q: %v", i, t.Code, key, v, err)
			} else if d.Unit == UnitHours {
				bad("types[%d] (%s): %s %q: a legal deadline is counted in days (dc, du or d)", i, t.Code, key, v)
			}
		}
		if t.Extension != "" && t.LegalDeadline == "" {
			bad("types[%d] (%s): extension without legal_deadline", i, t.Code)
		}
		seenResult := map[string]bool{}
		for _, r := range t.Results {
			switch f := Fold(r); {
			case f == "":
				bad("types[%d] (%s): an empty result", i, t.Code)
			case seenResult[f]:
				bad("types[%d] (%s): result %q appears twice", i, t.Code, r)
			default:
				seenResult[f] = true
			}
		}
	}
	if org.DefaultType != "" && !types[strings.ToUpper(org.DefaultType)] {
		bad("organization.default_type %q is not a type of the file", org.DefaultType)
	}
	return errors.Join(errs...)
}

// OrgChanges counts what ApplyOrg changed. All zero means the database
// already matched the file.
type OrgChanges struct {
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Deactivated int `json:"deactivated"`
}

// Total is the number of rows changed.
func (c OrgChanges) Total() int { return c.Created + c.Updated + c.Deactivated }

// ApplyOrg makes the database match spec, in one transaction: units, staff
// and types are created or updated by code/e-mail; those missing from the
// file are deactivated, never deleted (history keeps their names). Applying
// the same file twice changes nothing. It returns ErrInvalidOrg errors for a
// bad file.
func (s *Service) ApplyOrg(ctx context.Context, spec *OrgSpec) (OrgChanges, error) {
	var ch OrgChanges
	if err := spec.Validate(); err != nil {
		return ch, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Serialize concurrent applies.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('tramita.org'))`); err != nil {
			return fmt.Errorf("locking organization: %w", err)
		}
		o := spec.Organization
		tz := o.Timezone
		if tz == "" {
			tz = "America/Sao_Paulo"
		}
		optional := true
		if o.OptionalHolidays != nil {
			optional = *o.OptionalHolidays
		}
		tag := o.TagWord
		if tag == "" {
			tag = DefaultTagWord
		}
		holidays := o.Holidays
		if holidays == nil {
			holidays = []string{}
		}
		authserv := o.AuthservIDs
		if authserv == nil {
			authserv = []string{}
		}
		policy, _ := ParseSignInPolicy(o.StaffSignIn) // validated above
		var defType *string
		if o.DefaultType != "" {
			d := strings.ToUpper(o.DefaultType)
			defType = &d
		}
		tag2, err := tx.Exec(ctx, `
			INSERT INTO organization (id, name, nup_unit, address, timezone, holidays, optional_holidays, authserv_ids, tag_word, default_type_code, staff_signin)
			VALUES (1, $1, $2, $3, $4, $5::date[], $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO UPDATE SET name = $1, nup_unit = $2, address = $3, timezone = $4, holidays = $5::date[],
				optional_holidays = $6, authserv_ids = $7, tag_word = $8, default_type_code = $9, staff_signin = $10, updated_at = now()
			WHERE (organization.name, organization.nup_unit, organization.address, organization.timezone, organization.holidays,
				organization.optional_holidays, organization.authserv_ids, organization.tag_word, organization.default_type_code,
				organization.staff_signin)
				IS DISTINCT FROM ($1, $2, $3, $4, $5::date[], $6, $7, $8, $9, $10)`,
			o.Name, o.NUPUnit, strings.ToLower(strings.TrimSpace(o.Address)), tz, holidays, optional, authserv, tag, defType, string(policy))
		if err != nil {
			return fmt.Errorf("saving organization: %w", err)
		}
		ch.Updated += int(tag2.RowsAffected())

		unitIDs := map[string]int64{}
		for _, u := range spec.Units {
			code := strings.ToUpper(u.Code)
			var email *string
			if u.Email != "" {
				e := strings.ToLower(strings.TrimSpace(u.Email))
				email = &e
			}
			id, created, updated, err := upsert(ctx, tx, `
				INSERT INTO units (code, name, email) VALUES ($1, $2, $3)
				ON CONFLICT (code) DO UPDATE SET name = $2, email = $3, active = true
				WHERE (units.name, units.email, units.active) IS DISTINCT FROM ($2, $3, true)
				RETURNING id, (xmax = 0)`, `SELECT id FROM units WHERE code = $1`, code, u.Name, email)
			if err != nil {
				return fmt.Errorf("saving unit %s: %w", code, err)
			}
			unitIDs[code] = id
			ch.add(created, updated)
		}
		codes := make([]string, 0, len(unitIDs))
		for c := range unitIDs {
			codes = append(codes, c)
		}
		t, err := tx.Exec(ctx, `UPDATE units SET active = false WHERE active AND NOT code = ANY($1)`, codes)
		if err != nil {
			return fmt.Errorf("deactivating units: %w", err)
		}
		ch.Deactivated += int(t.RowsAffected())

		emails := []string{}
		for _, m := range spec.Staff {
			email := strings.ToLower(strings.TrimSpace(m.Email))
			role := m.Role
			if role == "" {
				role = string(RoleStaff)
			}
			id, created, updated, err := upsert(ctx, tx, `
				INSERT INTO staff (email, name, role) VALUES ($1, $2, $3)
				ON CONFLICT (email) DO UPDATE SET name = $2, role = $3, active = true
				WHERE (staff.name, staff.role, staff.active) IS DISTINCT FROM ($2, $3, true)
				RETURNING id, (xmax = 0)`, `SELECT id FROM staff WHERE email = $1`, email, m.Name, role)
			if err != nil {
				return fmt.Errorf("saving staff %s: %w", email, err)
			}
			emails = append(emails, email)
			want := []int64{}
			for _, u := range m.Units {
				want = append(want, unitIDs[strings.ToUpper(u)])
			}
			t1, err := tx.Exec(ctx, `DELETE FROM staff_units WHERE staff_id = $1 AND NOT unit_id = ANY($2)`, id, want)
			if err != nil {
				return fmt.Errorf("saving units of %s: %w", email, err)
			}
			t2, err := tx.Exec(ctx, `INSERT INTO staff_units (staff_id, unit_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, id, want)
			if err != nil {
				return fmt.Errorf("saving units of %s: %w", email, err)
			}
			if !created && !updated && t1.RowsAffected()+t2.RowsAffected() > 0 {
				updated = true
			}
			ch.add(created, updated)
		}
		t, err = tx.Exec(ctx, `UPDATE staff SET active = false WHERE active AND NOT email = ANY($1)`, emails)
		if err != nil {
			return fmt.Errorf("deactivating staff: %w", err)
		}
		ch.Deactivated += int(t.RowsAffected())
		if _, err := endInactiveSessions(ctx, tx, s.now()); err != nil {
			return err
		}

		typeCodes := []string{}
		for i, ty := range spec.Types {
			code := strings.ToUpper(ty.Code)
			addrs := []string{}
			for _, a := range ty.Addresses {
				addrs = append(addrs, strings.ToLower(strings.TrimSpace(a)))
			}
			slices.Sort(addrs)
			vis := ty.Visibility
			if vis == "" {
				vis = string(Private)
			}
			spec := func(v string) *string {
				if v == "" {
					return nil
				}
				d := strings.ToLower(strings.Join(strings.Fields(v), ""))
				return &d
			}
			results := []string{}
			for _, r := range ty.Results {
				results = append(results, strings.TrimSpace(r))
			}
			_, created, updated, err := upsert(ctx, tx, `
				INSERT INTO protocol_types (code, name, description, unit_id, addresses, deadline, visibility, position,
					legal_deadline, extension, legal_basis, results)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (code) DO UPDATE SET name = $2, description = $3, unit_id = $4, addresses = $5, deadline = $6,
					visibility = $7, position = $8, legal_deadline = $9, extension = $10, legal_basis = $11, results = $12, active = true
				WHERE (protocol_types.name, protocol_types.description, protocol_types.unit_id, protocol_types.addresses,
					protocol_types.deadline, protocol_types.visibility, protocol_types.position, protocol_types.legal_deadline,
					protocol_types.extension, protocol_types.legal_basis, protocol_types.results, protocol_types.active)
					IS DISTINCT FROM ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, true)
				RETURNING id, (xmax = 0)`, `SELECT id FROM protocol_types WHERE code = $1`,
				code, ty.Name, ty.Description, unitIDs[strings.ToUpper(ty.Unit)], addrs, spec(ty.Deadline), vis, i,
				spec(ty.LegalDeadline), spec(ty.Extension), strings.TrimSpace(ty.LegalBasis), results)
			if err != nil {
				return fmt.Errorf("saving type %s: %w", code, err)
			}
			webUpdated, err := ty.TypeWebSpec.apply(ctx, tx, code)
			if err != nil {
				return fmt.Errorf("saving type %s: %w", code, err)
			}
			typeCodes = append(typeCodes, code)
			ch.add(created, updated || webUpdated)
		}
		t, err = tx.Exec(ctx, `UPDATE protocol_types SET active = false WHERE active AND NOT code = ANY($1)`, typeCodes)
		if err != nil {
			return fmt.Errorf("deactivating types: %w", err)
		}
		ch.Deactivated += int(t.RowsAffected())
		return nil
	})
	// This process's copy goes at once, without waiting for the
	// announcement (the other processes' go when it reaches them).
	s.org.drop()
	return ch, err
}

func (c *OrgChanges) add(created, updated bool) {
	switch {
	case created:
		c.Created++
	case updated:
		c.Updated++
	}
}

// upsert runs an INSERT … ON CONFLICT DO UPDATE … WHERE changed RETURNING
// id, inserted. When the row existed unchanged, nothing is returned and the
// id is read with lookup (whose only parameter is the first argument).
func upsert(ctx context.Context, tx pgx.Tx, sql, lookup string, args ...any) (id int64, created, updated bool, err error) {
	err = tx.QueryRow(ctx, sql, args...).Scan(&id, &created)
	switch {
	case err == nil:
		return id, created, !created, nil
	case errors.Is(err, pgx.ErrNoRows):
		err = tx.QueryRow(ctx, lookup, args[0]).Scan(&id)
		return id, false, false, err
	default:
		return 0, false, false, err
	}
}

// Organization loads the organization row (kept in memory while
// KeepOrganization runs). It returns ErrNoOrganization before the first
// `tramita org apply`.
func (s *Service) Organization(ctx context.Context) (Organization, error) {
	o, ok, epoch, live := s.org.get()
	if ok {
		return o, nil
	}
	o, err := loadOrganization(ctx, s.pool)
	if err == nil && live {
		s.org.put(o, epoch)
	}
	return o, err
}

func loadOrganization(ctx context.Context, db DBTX) (Organization, error) {
	var o Organization
	var def *string
	var holidays []time.Time
	err := db.QueryRow(ctx, `SELECT name, nup_unit, address, timezone, holidays, optional_holidays, authserv_ids, tag_word, default_type_code,
			staff_signin, ARRAY(SELECT lower(a) FROM protocol_types, unnest(addresses) AS a UNION SELECT lower(email) FROM units WHERE email <> '')
		FROM organization WHERE id = 1`).Scan(&o.Name, &o.NUPUnit, &o.Address, &o.Timezone, &holidays, &o.OptionalHolidays,
		&o.AuthservIDs, &o.TagWord, &def, &o.StaffSignIn, &o.OtherAddresses)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, ErrNoOrganization
	}
	if err != nil {
		return o, fmt.Errorf("loading organization: %w", err)
	}
	for _, h := range holidays {
		o.Holidays = append(o.Holidays, h.Format("2006-01-02"))
	}
	if def != nil {
		o.DefaultTypeCode = *def
	}
	return o, nil
}
