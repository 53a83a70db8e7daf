package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// cmdIngest runs `tramita ingest [--json]`: one RFC 5322 message from stdin
// (an MTA pipe). Exit 0 when handled (also when quarantined), 75
// (EX_TEMPFAIL) on a temporary failure so the MTA retries, 70 (EX_SOFTWARE)
// when even the quarantine refused the message for a reason retrying cannot
// cure (the MTA returns it to the sender instead of retrying for days).
func cmdIngest(ctx context.Context, e env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	asJSON := hasFlag(&args, "--json")
	if len(args) != 0 {
		fmt.Fprintln(stderr, "tramita: uso / usage: tramita ingest [--json] < message.eml")
		return exitUsage
	}
	log := e.logger(stderr)
	raw, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "tramita: reading stdin:", err)
		return exitTempFail
	}
	if len(raw) == 0 {
		fmt.Fprintln(stderr, "tramita: empty message on stdin")
		return exitUsage
	}
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		fmt.Fprintln(stderr, "tramita:", err)
		return exitTempFail
	}
	defer pool.Close()
	ing := &mailin.Ingester{Core: svc, Log: log}
	res, err := ing.Ingest(ctx, raw, core.Source{Kind: "pipe"})
	if err != nil && !core.IsTemporary(err) {
		fmt.Fprintln(stderr, "tramita: the message could not be stored, not even quarantined:", err)
		return exitSoftware
	}
	if err != nil {
		fmt.Fprintln(stderr, "tramita: temporary failure, try again later:", err)
		return exitTempFail
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return exitFailure
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "%s %s %s\n", res.Outcome, res.Protocol, res.Reason)
	for _, n := range res.Notifications {
		fmt.Fprintf(stderr, "  %s → %s\n", n.Kind, strings.Join(n.To, ", "))
	}
	return exitOK
}
