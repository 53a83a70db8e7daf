package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tramita/tramita/core"
)

// cmdStats runs `tramita stats [--from DATE] [--to DATE] [--json|--csv]`:
// the public statistics of the protocols opened in the period (dates
// YYYY-MM-DD in the organization's time zone, both inclusive; by default
// this year up to today).
func cmdStats(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	asJSON := hasFlag(&args, "--json")
	asCSV := hasFlag(&args, "--csv")
	var from, to string
	for len(args) > 0 {
		name, val, ok := strings.Cut(args[0], "=")
		if !ok && len(args) > 1 {
			val, args = args[1], args[1:]
		}
		switch name {
		case "--from":
			from = val
		case "--to":
			to = val
		default:
			return fmt.Errorf("%w: tramita stats [--from AAAA-MM-DD] [--to AAAA-MM-DD] [--json|--csv]", errUsage)
		}
		args = args[1:]
	}
	svc, pool, err := e.readService(ctx, e.logger(stderr))
	if err != nil {
		return err
	}
	defer pool.Close()
	org, err := svc.Organization(ctx)
	if err != nil {
		return err
	}
	start, end, err := core.StatsPeriod(from, to, time.Now(), org.Location())
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	st, err := svc.Statistics(ctx, start, end)
	if err != nil {
		return err
	}
	switch {
	case asJSON:
		return json.NewEncoder(stdout).Encode(st)
	case asCSV:
		return st.WriteCSV(stdout)
	}
	num := func(v *float64, suffix string) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%s", *v, suffix)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s a %s\n", start.Format("02/01/2006"), end.AddDate(0, 0, -1).Format("02/01/2006"))
	fmt.Fprintln(tw, "grupo\trecebidos\tconcluídos\tem andamento\tno prazo legal\tmediana (dias)\tp90 (dias)\tprorrogações\tcomplementações\tavaliações\tsatisfação")
	line := func(name string, f core.StatsFigures) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", name, f.Received, f.Concluded, f.InProgress,
			num(f.WithinLegalPct, "%"), num(f.MedianDays, ""), num(f.P90Days, ""), f.Extensions, f.Complements, f.SurveyCount,
			num(f.SurveyMean, ""))
	}
	line("Total", st.Total)
	for _, g := range st.ByType {
		line("tipo "+g.Key, g.StatsFigures)
	}
	for _, g := range st.ByUnit {
		line("unidade "+g.Key, g.StatsFigures)
	}
	for _, g := range st.ByMonth {
		line("mês "+g.Key, g.StatsFigures)
	}
	return tw.Flush()
}
