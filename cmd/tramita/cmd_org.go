package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/tramita/tramita/core"
	"go.yaml.in/yaml/v3"
)

// cmdOrg runs `tramita org apply FILE [--json]`.
func cmdOrg(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	asJSON := hasFlag(&args, "--json")
	if len(args) != 2 || args[0] != "apply" {
		return fmt.Errorf("%w: tramita org apply FILE", errUsage)
	}
	spec, err := readOrgFile(args[1])
	if err != nil {
		return err
	}
	svc, pool, err := e.readService(ctx, e.logger(stderr))
	if err != nil {
		return err
	}
	defer pool.Close()
	ch, err := svc.ApplyOrg(ctx, spec)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(ch)
	}
	fmt.Fprintf(stderr, "organização aplicada: %d criados, %d alterados, %d desativados / organization applied: %d created, %d updated, %d deactivated\n",
		ch.Created, ch.Updated, ch.Deactivated, ch.Created, ch.Updated, ch.Deactivated)
	return nil
}

// readOrgFile decodes an organization file strictly: unknown keys are
// errors that name the file, the line and the keys allowed there.
func readOrgFile(path string) (*core.OrgSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseOrg(path, data)
}

func parseOrg(file string, data []byte) (*core.OrgSpec, error) {
	if err := checkOrgKeys(file, data); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var spec core.OrgSpec
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", core.ErrInvalidOrg, file, err)
	}
	return &spec, nil
}

// hasFlag removes flag from *args and reports whether it was there.
func hasFlag(args *[]string, flag string) bool {
	found := false
	out := (*args)[:0:0]
	for _, a := range *args {
		if a == flag {
			found = true
			continue
		}
		out = append(out, a)
	}
	*args = out
	return found
}
