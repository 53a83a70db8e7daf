package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/mailin"
)

// cmdDemo runs `tramita demo`: with no configuration it migrates the
// database at DATABASE_URL (default: the local one the README's set-up
// provides), applies the sample organization (examples/org.yaml), puts the
// sample messages (examples/mail) through intake exactly as `tramita
// ingest` does, and prints the protocols they produced.
//
// The in-process mail server, outbound mail and the lookup page join the
// demo as they are built (see the open issues).
func cmdDemo(ctx context.Context, e env, stdout, stderr io.Writer) error {
	if e.Secret == "" {
		s, err := demoSecret()
		if err != nil {
			return err
		}
		e.Secret = s
	}
	if err := cmdMigrate(ctx, e, stderr); err != nil {
		return err
	}
	spec, err := parseOrg(examples.OrgYAML)
	if err != nil {
		return err
	}
	log := e.logger(stderr)
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		return err
	}
	names, err := examples.Mail()
	if err != nil {
		return err
	}
	sort.Strings(names)
	ing := &mailin.Ingester{Core: svc, Log: log}
	seen := map[string]bool{}
	var numbers []string
	for _, name := range names {
		raw, err := examples.MailFile(name)
		if err != nil {
			return err
		}
		res, err := ing.Ingest(ctx, raw, core.Source{Kind: "pipe"})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-28s → %-9s %s  %s\n", name, res.Outcome, res.Protocol, res.Reason)
		if res.Protocol != "" && !seen[res.Protocol] {
			seen[res.Protocol] = true
			numbers = append(numbers, res.Protocol)
		}
	}
	org, err := svc.Organization(ctx)
	if err != nil {
		return err
	}
	for _, num := range numbers {
		n, err := core.ParseNumber(num)
		if err != nil {
			return err
		}
		v, err := svc.Show(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, strings.Repeat("─", 72))
		printProtocol(stdout, v, org.Location())
	}
	fmt.Fprintln(stdout, strings.Repeat("─", 72))
	fmt.Fprintln(stdout, "Envie outras mensagens com / send more messages with:  go run ./cmd/tramita ingest --json < mensagem.eml")
	return nil
}

// demoSecret returns a random reply-token secret kept in the user's config
// directory, so demo runs agree with each other.
func demoSecret() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "tramita", "demo-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
}
