package core_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tramita/tramita/core"
)

func TestApplyOrgIsIdempotentAndDeactivates(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow) // applies the sample once
	ctx := context.Background()
	spec := sampleOrg(t)
	ch, err := svc.ApplyOrg(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Total() != 0 {
		t.Fatalf("second apply changed %+v, want nothing", ch)
	}
	for i, m := range spec.Staff {
		if m.Email == "carla.admin@saneamento.example.gov.br" {
			spec.Staff = slices.Delete(spec.Staff, i, i+1) // carla leaves
			break
		}
	}
	spec.Staff[0].Units = []string{"GCOM", "GOPE"} // ana joins GOPE
	ch, err = svc.ApplyOrg(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Deactivated != 1 || ch.Updated != 1 || ch.Created != 0 {
		t.Fatalf("changes %+v, want 1 deactivated, 1 updated", ch)
	}
	var active bool
	if err := svc.Pool().QueryRow(ctx, `SELECT active FROM staff WHERE email = 'carla.admin@saneamento.example.gov.br'`).Scan(&active); err != nil || active {
		t.Fatalf("carla: active=%v err=%v; want kept and inactive", active, err)
	}
}

func TestApplyOrgRejectsBadFiles(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	cases := map[string]func(*core.OrgSpec){
		"unknown unit of staff":   func(s *core.OrgSpec) { s.Staff[0].Units = []string{"NOPE"} },
		"bad nup unit":            func(s *core.OrgSpec) { s.Organization.NUPUnit = "123" },
		"bad deadline":            func(s *core.OrgSpec) { s.Types[0].Deadline = "5x" },
		"bad role":                func(s *core.OrgSpec) { s.Staff[0].Role = "boss" },
		"duplicate unit":          func(s *core.OrgSpec) { s.Units = append(s.Units, s.Units[0]) },
		"bad timezone":            func(s *core.OrgSpec) { s.Organization.Timezone = "Mars/Olympus" },
		"bad legal deadline":      func(s *core.OrgSpec) { s.Types[0].LegalDeadline = "30 dias" },
		"legal deadline in hours": func(s *core.OrgSpec) { s.Types[0].LegalDeadline = "72h" },
		"bad extension":           func(s *core.OrgSpec) { s.Types[0].LegalDeadline, s.Types[0].Extension = "30dc", "x" },
		"extension alone":         func(s *core.OrgSpec) { s.Types[0].LegalDeadline, s.Types[0].Extension = "", "30dc" },
		"result twice":            func(s *core.OrgSpec) { s.Types[0].Results = []string{"Atendido", "atendido"} },
		"empty result":            func(s *core.OrgSpec) { s.Types[0].Results = []string{" "} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			spec := sampleOrg(t)
			mutate(spec)
			if _, err := svc.ApplyOrg(context.Background(), spec); !errors.Is(err, core.ErrInvalidOrg) {
				t.Fatalf("got %v, want ErrInvalidOrg", err)
			}
		})
	}
}
