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
