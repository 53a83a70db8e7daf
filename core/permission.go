package core

import (
	"fmt"
	"slices"
)

// ErrForbidden is returned when a staff member may not do what they asked.
var ErrForbidden = fmt.Errorf("not allowed")

// CanAct reports whether st may command a protocol held by unit holder
// (DESIGN.md, "Organization file"): staff and managers on protocols held
// by one of their units, admins anywhere. Inactive staff may do nothing.
// The error wraps ErrForbidden and says why, in Portuguese for the transcript.
func CanAct(st Staff, holder int64) error {
	switch {
	case !st.Active:
		return fmt.Errorf("%w: servidor inativo", ErrForbidden)
	case st.Role == RoleAdmin:
		return nil
	case slices.Contains(st.UnitIDs, holder):
		return nil
	}
	return fmt.Errorf("%w: o protocolo está em uma unidade que não é sua", ErrForbidden)
}

// CanForward reports whether st may forward a protocol held by unit from to
// unit to: whoever may act on it may forward it anywhere.
func CanForward(st Staff, from, to int64) error {
	return CanAct(st, from)
}

// CanReassign reports whether st may move a protocol between units without
// holding it: managers within their own units (both ends theirs), admins
// anywhere. Staff may not.
func CanReassign(st Staff, from, to int64) error {
	if err := CanAct(st, from); err == nil && st.Role == RoleAdmin {
		return nil
	}
	if st.Active && st.Role == RoleManager && slices.Contains(st.UnitIDs, from) && slices.Contains(st.UnitIDs, to) {
		return nil
	}
	return fmt.Errorf("%w: só gerentes das duas unidades ou administradores podem redistribuir", ErrForbidden)
}

// CanAdminister reports whether st may change the organization (units,
// staff, types): admins only.
func CanAdminister(st Staff) error {
	if st.Active && st.Role == RoleAdmin {
		return nil
	}
	return fmt.Errorf("%w: somente administradores", ErrForbidden)
}
