package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// cmdFailed runs `tramita failed list [--json]` and `tramita failed retry ID`.
func cmdFailed(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	asJSON := hasFlag(&args, "--json")
	if len(args) == 0 || (args[0] == "list" && len(args) != 1) || (args[0] == "retry" && len(args) != 2) ||
		(args[0] != "list" && args[0] != "retry") {
		return fmt.Errorf("%w: tramita failed list [--json] | tramita failed retry ID", errUsage)
	}
	log := e.logger(stderr)
	open := e.service // a retry verifies reply tokens
	if args[0] == "list" {
		open = e.readService
	}
	svc, pool, err := open(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	if args[0] == "list" {
		list, err := svc.FailedMessages(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []core.FailedMessage{} // [], not null
			}
			return json.NewEncoder(stdout).Encode(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "nenhuma mensagem em quarentena / no quarantined messages")
			return nil
		}
		for _, f := range list {
			note := ""
			if f.HeaderOnly {
				note = " [só o cabeçalho / header only]"
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%q\t%s%s\n", f.ID, f.ReceivedAt.Format("2006-01-02 15:04"), f.Sender, f.Subject, f.Error, note)
		}
		return nil
	}
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: ID must be a number", errUsage)
	}
	res, err := retryQuarantined(ctx, svc, log, id)
	if errors.Is(err, core.ErrNotFound) {
		return fmt.Errorf("%w: %v", errNotFound, err)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stderr, "%s %s %s\n", res.Outcome, res.Protocol, res.Reason)
	return nil
}

// retryQuarantined reprocesses quarantined raw message id through the same
// intake as every door (source "retry"), as `tramita failed retry` and the
// staff site's "reprocessar" do. A header-only row (a message far over the
// size limit) is refused with an explanation in Portuguese and English;
// an unknown id wraps core.ErrNotFound.
func retryQuarantined(ctx context.Context, svc *core.Service, log *slog.Logger, id int64) (core.IngestResult, error) {
	raw, err := svc.FailedRaw(ctx, id)
	if errors.Is(err, core.ErrHeaderOnly) {
		return core.IngestResult{}, fmt.Errorf("a mensagem %d não pode ser reprocessada: ela passava muito do limite de tamanho e só o "+
			"cabeçalho dela foi guardado. A mensagem inteira está na pasta de falhas da caixa IMAP; para processá-la, "+
			"aumente TRAMITA_MAX_MESSAGE_BYTES e mova-a de volta para a INBOX. / message %d cannot be retried: it was far "+
			"over the size limit and only its header was stored. The whole message is in the IMAP failed folder; to "+
			"process it, raise TRAMITA_MAX_MESSAGE_BYTES and move it back to the INBOX: %w", id, id, err)
	}
	if err != nil {
		return core.IngestResult{}, err
	}
	return (&mailin.Ingester{Core: svc, Log: log}).Ingest(ctx, raw, core.Source{Kind: "retry"})
}
