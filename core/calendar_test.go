package core

import (
	"testing"
	"time"
)

func TestEasterAndMovableHolidays(t *testing.T) {
	t.Parallel()
	cal := Calendar{Loc: time.UTC, Optional: true}
	cases := []struct {
		date, want string
	}{
		{"2026-02-16", "Carnaval"}, {"2026-02-17", "Carnaval"}, {"2026-04-03", "Sexta-feira Santa"}, {"2026-06-04", "Corpus Christi"},
		{"2027-02-08", "Carnaval"}, {"2027-02-09", "Carnaval"}, {"2027-03-26", "Sexta-feira Santa"}, {"2027-05-27", "Corpus Christi"},
		{"2026-11-20", "Dia Nacional de Zumbi e da Consciência Negra"}, {"2026-04-21", "Tiradentes"}, {"2026-12-25", "Natal"},
		{"2026-02-18", ""}, {"2026-06-05", ""}, // Ash Wednesday and the Friday after Corpus Christi are working days
	}
	for _, c := range cases {
		t.Run(c.date, func(t *testing.T) {
			d, _ := time.Parse("2006-01-02", c.date)
			if got := cal.Holiday(d.Year(), d.Month(), d.Day()); got != c.want {
				t.Errorf("Holiday(%s) = %q, want %q", c.date, got, c.want)
			}
		})
	}
	for y, want := range map[int]string{2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2038: "2038-04-25"} {
		if got := Easter(y).Format("2006-01-02"); got != want {
			t.Errorf("Easter(%d) = %s, want %s", y, got, want)
		}
	}
	noOptional := Calendar{Loc: time.UTC}
	if noOptional.Holiday(2026, time.February, 16) != "" || noOptional.Holiday(2026, time.June, 4) != "" {
		t.Error("Carnaval and Corpus Christi must be working days when optional holidays are off")
	}
	if noOptional.Holiday(2026, time.April, 3) == "" {
		t.Error("Sexta-feira Santa is a national holiday regardless")
	}
}

func TestBusinessDayDeadlines(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Maceio")
	thursday := time.Date(2026, 11, 19, 15, 0, 0, 0, loc) // Friday 20 Nov is a national holiday
	cases := []struct {
		name string
		cal  Calendar
		from time.Time
		spec string
		want string
	}{
		{"5du over a holiday and a weekend", Calendar{Loc: loc, Optional: true}, thursday, "5du", "2026-11-27 23:59"},
		{"5du over a local holiday too", Calendar{Loc: loc, Optional: true, Local: map[string]bool{"2026-11-25": true}}, thursday, "5du", "2026-11-30 23:59"},
		{"2du over Carnaval", Calendar{Loc: loc, Optional: true}, time.Date(2026, 2, 13, 10, 0, 0, 0, loc), "2du", "2026-02-19 23:59"},
		{"2du over Carnaval, optional off", Calendar{Loc: loc}, time.Date(2026, 2, 13, 10, 0, 0, 0, loc), "2du", "2026-02-17 23:59"},
		{"1du before Corpus Christi 2027", Calendar{Loc: loc, Optional: true}, time.Date(2027, 5, 26, 10, 0, 0, 0, loc), "1du", "2027-05-28 23:59"},
		{"5d counts calendar days", Calendar{Loc: loc}, thursday, "5d", "2026-11-24 23:59"},
		{"48h is exact", Calendar{Loc: loc}, thursday, "48h", "2026-11-21 15:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDuration(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.cal.Due(c.from, d).In(loc).Format("2006-01-02 15:04"); got != c.want {
				t.Errorf("Due(%s) = %s, want %s", c.spec, got, c.want)
			}
		})
	}
}

func TestParseDeadline(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Sao_Paulo")
	cal := Calendar{Loc: loc, Optional: true}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, loc)
	cases := []struct {
		arg, want string
		remove    bool
		err       bool
	}{
		{arg: "2026-12-15 17:00", want: "2026-12-15 17:00"},
		{arg: "2026-12-15", want: "2026-12-15 23:59"},
		{arg: "15/12/2026", want: "2026-12-15 23:59"},
		{arg: "15/12/2026 09:30", want: "2026-12-15 09:30"},
		{arg: "5/1/2027 9h30", want: "2027-01-05 09:30"},
		{arg: "5du", want: "2026-12-04 23:59"},
		{arg: "10 d", want: "2026-12-09 23:59"},
		{arg: "Remover", remove: true},
		{arg: "01/11/2026", err: true}, // expired
		{arg: "31/02/2027", err: true}, // no such day
		{arg: "amanhã", err: true},     // not understood
		{arg: "2026-12-15 25:00", err: true},
	}
	for _, c := range cases {
		t.Run(c.arg, func(t *testing.T) {
			due, remove, err := ParseDeadline(c.arg, now, cal)
			if (err != nil) != c.err || remove != c.remove {
				t.Fatalf("ParseDeadline(%q) = %v, %v, %v", c.arg, due, remove, err)
			}
			if c.want != "" && due.In(loc).Format("2006-01-02 15:04") != c.want {
				t.Errorf("ParseDeadline(%q) = %s, want %s", c.arg, due.In(loc).Format("2006-01-02 15:04"), c.want)
			}
		})
	}
}

// TestLegalDays checks the dc unit against Lei 9.784/1999 art. 66: the
// start day is excluded, days run continuously, and a due date that is not
// a business day moves to the next business day. The expected dates were
// worked out by hand from a 2026/2027 calendar.
func TestLegalDays(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Maceio")
	on := Calendar{Loc: loc, Optional: true}
	off := Calendar{Loc: loc}
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	cases := []struct {
		name string
		cal  Calendar
		from time.Time
		spec string
		want string
	}{
		{"30dc on a working Wednesday", on, at(2026, 3, 2, 9, 0), "30dc", "2026-04-01 23:59"},
		{"start day excluded even late at night", on, at(2026, 3, 2, 23, 30), "1dc", "2026-03-03 23:59"},
		{"start day is the local day, not UTC's", on, time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC), "1dc", "2026-03-03 23:59"},
		{"due on a Saturday moves to Monday", on, at(2026, 11, 19, 15, 0), "2dc", "2026-11-23 23:59"},
		{"due on a Sunday moves to Monday", on, at(2026, 11, 19, 15, 0), "3dc", "2026-11-23 23:59"},
		{"due on a national holiday (Friday 20 Nov) moves past the weekend", on, at(2026, 11, 10, 8, 0), "10dc", "2026-11-23 23:59"},
		{"due on Carnaval Monday, optional holidays on", on, at(2026, 2, 6, 10, 0), "10dc", "2026-02-18 23:59"},
		{"due on Carnaval Monday, optional holidays off", off, at(2026, 2, 6, 10, 0), "10dc", "2026-02-16 23:59"},
		{"due on Carnaval Tuesday, optional holidays off", off, at(2026, 2, 6, 10, 0), "11dc", "2026-02-17 23:59"},
		{"across the year end onto 1 January (a Friday)", on, at(2026, 12, 22, 14, 0), "10dc", "2027-01-04 23:59"},
		{"20dc across Christmas", on, at(2026, 12, 5, 14, 0), "20dc", "2026-12-28 23:59"},
		{"due on a local holiday", Calendar{Loc: loc, Optional: true, Local: map[string]bool{"2026-03-03": true}}, at(2026, 3, 2, 9, 0), "1dc", "2026-03-04 23:59"},
		{"the days in between are not skipped (weekend inside)", on, at(2026, 11, 26, 9, 0), "4dc", "2026-11-30 23:59"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDuration(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.cal.Due(c.from, d).In(loc).Format("2006-01-02 15:04"); got != c.want {
				t.Errorf("Due(%s from %s) = %s, want %s", c.spec, c.from.In(loc).Format("Mon 2006-01-02 15:04"), got, c.want)
			}
		})
	}
}
