package core

import (
	"fmt"
	"slices"
)

// ErrForbidden is returned when a staff member may not do what they asked.
var ErrForbidden = fmt.Errorf("not allowed")

// Scope is the one permission rule of Tramita (DESIGN.md, "Every door leads
// to the same core"): the protocols a staff member may see and act on.
// Staff and managers reach the protocols held by one of their units, admins
// every protocol, inactive staff none. CanAct (mail commands, the staff
// site's actions, pages and downloads) and the SQL of every list and search
// (Scope.sql) are both derived from it, so they cannot disagree.
type Scope struct {
	// All is true for an active admin: every protocol.
	All bool
	// Units holds the units whose protocols are reachable when All is false.
	Units []int64
}

// ScopeOf returns what st may see and act on.
func ScopeOf(st Staff) Scope {
	switch {
	case !st.Active:
		return Scope{Units: []int64{}}
	case st.Role == RoleAdmin:
		return Scope{All: true, Units: []int64{}}
	}
	units := st.UnitIDs
	if units == nil {
		units = []int64{}
	}
	return Scope{Units: units}
}

// Allows reports whether a protocol held by unit holder is in the scope.
func (s Scope) Allows(holder int64) bool {
	return s.All || slices.Contains(s.Units, holder)
}

// sql returns the scope as a SQL condition on column (the holding unit's
// id, e.g. "p.unit_id"), its arguments appended to a. The shape depends on
// the scope (every row, one unit, several) so that the planner can walk the
// queue indexes in order; the meaning is always Allows.
func (s Scope) sql(a *args, column string) string {
	switch {
	case s.All:
		return "true"
	case len(s.Units) == 0:
		return "false"
	case len(s.Units) == 1:
		return column + " = " + a.add(s.Units[0])
	}
	return column + " = ANY(" + a.add(s.Units) + "::bigint[])"
}

// CanAct reports whether st may see and command a protocol held by unit
// holder (DESIGN.md, "Organization file"): staff and managers on protocols
// held by one of their units, admins anywhere. Inactive staff may do nothing.
// The error wraps ErrForbidden and says why, in Portuguese for the transcript.
func CanAct(st Staff, holder int64) error {
	switch {
	case !st.Active:
		return fmt.Errorf("%w: servidor inativo", ErrForbidden)
	case ScopeOf(st).Allows(holder):
		return nil
	}
	return fmt.Errorf("%w: o protocolo está em uma unidade que não é sua", ErrForbidden)
}
