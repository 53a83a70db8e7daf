package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar knows which days are business days for an organization:
// weekends, the national holidays (Lei 662/1949, Lei 6.802/1980, Lei
// 14.759/2023), Sexta-feira Santa, the pontos facultativos Carnaval (Monday
// and Tuesday) and Corpus Christi when Optional is set, and the
// organization's local holidays.
type Calendar struct {
	Loc      *time.Location
	Optional bool            // Carnaval and Corpus Christi count as holidays
	Local    map[string]bool // local holidays, keyed YYYY-MM-DD
}

// NewCalendar builds the calendar of org.
func NewCalendar(org Organization) Calendar {
	c := Calendar{Loc: org.Location(), Optional: org.OptionalHolidays, Local: map[string]bool{}}
	for _, h := range org.Holidays {
		c.Local[h] = true
	}
	return c
}

// Easter returns Easter Sunday of year (Gregorian calendar, the anonymous
// "Meeus/Jones/Butcher" algorithm), at midnight UTC.
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// Holiday returns the name of the holiday on the given local date, or "".
func (c Calendar) Holiday(year int, month time.Month, day int) string {
	switch {
	case month == time.January && day == 1:
		return "Confraternização Universal"
	case month == time.April && day == 21:
		return "Tiradentes"
	case month == time.May && day == 1:
		return "Dia do Trabalho"
	case month == time.September && day == 7:
		return "Independência do Brasil"
	case month == time.October && day == 12:
		return "Nossa Senhora Aparecida"
	case month == time.November && day == 2:
		return "Finados"
	case month == time.November && day == 15:
		return "Proclamação da República"
	case month == time.November && day == 20 && year >= 2024:
		return "Dia Nacional de Zumbi e da Consciência Negra"
	case month == time.December && day == 25:
		return "Natal"
	}
	date := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	easter := Easter(year)
	switch int(date.Sub(easter).Hours() / 24) {
	case -2:
		return "Sexta-feira Santa"
	case -48, -47:
		if c.Optional {
			return "Carnaval"
		}
	case 60:
		if c.Optional {
			return "Corpus Christi"
		}
	}
	if c.Local[date.Format("2006-01-02")] {
		return "feriado local"
	}
	return ""
}

// IsBusinessDay reports whether t's local date is neither a weekend day nor a holiday.
func (c Calendar) IsBusinessDay(t time.Time) bool {
	t = t.In(c.loc())
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return c.Holiday(t.Year(), t.Month(), t.Day()) == ""
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// endOfDay is the last minute of t's local day (23:59:00).
func (c Calendar) endOfDay(t time.Time) time.Time {
	t = t.In(c.loc())
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 0, 0, c.loc())
}

// AddBusinessDays returns the end (23:59 local) of the n-th business day
// after from's local date; the day of from does not count.
func (c Calendar) AddBusinessDays(from time.Time, n int) time.Time {
	t := from.In(c.loc())
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.IsBusinessDay(t) {
			n--
		}
	}
	return c.endOfDay(t)
}

// AddLegalDays returns the end (23:59 local) of the day n calendar days
// after from's local date, counted as Lei 9.784/1999 art. 66 says: the day
// of from is excluded (§1), the days run continuously (§2), and when the
// last day is not a business day (a weekend, a holiday, or a ponto
// facultativo when the calendar counts them) the deadline moves to the
// next business day (§1).
func (c Calendar) AddLegalDays(from time.Time, n int) time.Time {
	t := from.In(c.loc())
	t = time.Date(t.Year(), t.Month(), t.Day()+n, 12, 0, 0, 0, c.loc()) // noon: no DST edge
	for !c.IsBusinessDay(t) {
		t = t.AddDate(0, 0, 1)
	}
	return c.endOfDay(t)
}

// DurationUnit is the unit of a deadline Duration.
type DurationUnit string

// Deadline duration units.
const (
	UnitDays         DurationUnit = "d"  // calendar days
	UnitBusinessDays DurationUnit = "du" // dias úteis
	UnitHours        DurationUnit = "h"
	// UnitLegalDays are calendar days counted as Lei 9.784/1999 art. 66
	// says: the start day is excluded, the days run continuously, and a
	// due date that is not a business day moves to the next business day.
	UnitLegalDays DurationUnit = "dc"
)

// Duration is a relative deadline such as 5d, 5du or 48h.
type Duration struct {
	N    int
	Unit DurationUnit
}

// String formats the duration as it is written in commands, e.g. "5du".
func (d Duration) String() string { return strconv.Itoa(d.N) + string(d.Unit) }

// ParseDuration parses "Nd" (calendar days), "Ndu" (business days), "Ndc"
// (calendar days under Lei 9.784/1999 art. 66) or "Nh" (hours), N from 1 to
// 3650, case-insensitive, spaces allowed before the unit.
func ParseDuration(s string) (Duration, error) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 1 || n > 3650 {
		return Duration{}, fmt.Errorf("prazo %q: expected a number of days (d), business days (du), legal days (dc) or hours (h), e.g. 5du", s)
	}
	switch u := DurationUnit(s[i:]); u {
	case UnitDays, UnitBusinessDays, UnitHours, UnitLegalDays:
		return Duration{N: n, Unit: u}, nil
	}
	return Duration{}, fmt.Errorf("prazo %q: unit must be d, du, dc or h", s)
}

// Due returns the deadline d after from: hours are exact; days, business
// days and legal days end at 23:59 local of the last day.
func (c Calendar) Due(from time.Time, d Duration) time.Time {
	switch d.Unit {
	case UnitHours:
		return from.Add(time.Duration(d.N) * time.Hour)
	case UnitBusinessDays:
		return c.AddBusinessDays(from, d.N)
	case UnitLegalDays:
		return c.AddLegalDays(from, d.N)
	default:
		return c.endOfDay(from.In(c.loc()).AddDate(0, 0, d.N))
	}
}
