package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// cmdRemind runs `tramita remind [--at RFC3339] [--digest] [--json]`: one
// reminder pass (and, with --digest, the overdue digest) as of that time;
// idempotent. It prints what it queued.
func cmdRemind(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	asJSON := hasFlag(&args, "--json")
	digest := hasFlag(&args, "--digest")
	at := time.Now()
	for len(args) > 0 {
		switch {
		case args[0] == "--at" && len(args) > 1:
			t, err := time.Parse(time.RFC3339, args[1])
			if err != nil {
				return fmt.Errorf("%w: --at %q: use RFC 3339, e.g. 2026-12-04T08:00:00-03:00", errUsage, args[1])
			}
			at, args = t, args[2:]
		case strings.HasPrefix(args[0], "--at="):
			t, err := time.Parse(time.RFC3339, strings.TrimPrefix(args[0], "--at="))
			if err != nil {
				return fmt.Errorf("%w: %s: use RFC 3339", errUsage, args[0])
			}
			at, args = t, args[1:]
		default:
			return fmt.Errorf("%w: tramita remind [--at RFC3339] [--digest] [--json]", errUsage)
		}
	}
	svc, pool, err := e.readService(ctx, e.logger(stderr))
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := svc.RemindPass(ctx, at, e.reminderLead())
	if err != nil {
		return err
	}
	if digest {
		d, err := svc.DigestPass(ctx, at)
		if err != nil {
			return err
		}
		res.Queued = append(res.Queued, d.Queued...)
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	for _, q := range res.Queued {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", q.Kind, q.Protocol, q.Unit, strings.Join(q.To, ", "))
	}
	fmt.Fprintf(stderr, "%d lembrete(s) / reminder(s) queued as of %s\n", len(res.Queued), at.Format(time.RFC3339))
	return nil
}
