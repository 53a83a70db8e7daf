// Command tramita is the Tramita service: an email-first protocolo system.
// Subcommands: migrate, org apply, ingest, show, failed list|retry, demo,
// version. Configuration comes from the environment (see config.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes (sysexits.h where one fits).
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 64 // EX_USAGE
	exitNotFound = 66 // EX_NOINPUT: the protocol or message does not exist
	exitSoftware = 70 // EX_SOFTWARE: a failure that retrying cannot cure (the MTA returns the message)
	exitTempFail = 75 // EX_TEMPFAIL: try again later (the MTA retries)
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `tramita — protocolo por e-mail / email-first protocol service

Uso / usage:
  tramita migrate                     aplica as migrações / apply pending migrations
  tramita org apply FILE              aplica o arquivo da organização / apply the organization file
  tramita ingest [--json]             processa uma mensagem de stdin / process one message from stdin
  tramita show NUMBER [--json]        mostra um protocolo / show one protocol
  tramita remind [--at RFC3339] [--digest] [--json]
                                      uma passada de lembretes de prazo / one reminder pass
  tramita stats [--from AAAA-MM-DD] [--to AAAA-MM-DD] [--json|--csv]
                                      estatísticas públicas (painel) / public statistics
  tramita send [--once]               envia as notificações / deliver the outbox (TRAMITA_SMTP_URL)
  tramita failed list [--json]        mensagens em quarentena / quarantined messages
  tramita failed retry ID             reprocessa uma mensagem / replay a quarantined message
  tramita staff password EMAIL        senha da página de trâmites (lida da entrada) / staff site password (stdin)
  tramita staff totp EMAIL [--png F]  novo código TOTP: URI otpauth, 10 códigos de recuperação e QR /
                                      new TOTP secret: otpauth URI, 10 recovery codes and QR code
  tramita serve [--migrate]           tudo o que estiver configurado / everything configured:
                                      web, IMAP (TRAMITA_IMAP_URL), LMTP (TRAMITA_LMTP_LISTEN),
                                      SMTP (TRAMITA_SMTP_URL), lembretes / reminders
  tramita check                       valida a configuração / check configuration, database, IMAP, SMTP, LMTP
  tramita demo                        demonstração local completa / the embedded demo
  tramita imap                        lê a caixa IMAP até SIGTERM / IMAP intake until SIGTERM (TRAMITA_IMAP_URL)
  tramita web                         página pública de consulta / public lookup page (TRAMITA_LISTEN)
                                      (serve e demo: página de trâmites em /gestao, ou em TRAMITA_STAFF_LISTEN;
                                      staff site under /gestao, or on TRAMITA_STAFF_LISTEN; TRAMITA_OIDC_*)
  tramita version

Configuração / configuration: DATABASE_URL, TRAMITA_SECRET, TRAMITA_MAX_MESSAGE_BYTES,
TRAMITA_IMAP_URL, TRAMITA_LMTP_LISTEN (unix:/caminho ou 127.0.0.1:porta / unix:/path or
127.0.0.1:port: entrega pelo MTA / push intake from the MTA, RFC 2033), TRAMITA_SMTP_URL,
TRAMITA_LOG_FORMAT (text|json), TRAMITA_LOG_LEVEL (debug|info|warn|error); README lists all.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	env := loadEnv()
	var err error
	switch args[0] {
	case "migrate":
		err = cmdMigrate(ctx, env, stderr)
	case "org":
		err = cmdOrg(ctx, env, args[1:], stdout, stderr)
	case "ingest":
		return cmdIngest(ctx, env, args[1:], stdin, stdout, stderr)
	case "show":
		err = cmdShow(ctx, env, args[1:], stdout)
	case "remind":
		err = cmdRemind(ctx, env, args[1:], stdout, stderr)
	case "stats":
		err = cmdStats(ctx, env, args[1:], stdout, stderr)
	case "send":
		err = untilSignal(ctx, cmdSend(ctx, env, args[1:], stderr))
	case "failed":
		err = cmdFailed(ctx, env, args[1:], stdout, stderr)
	case "staff":
		err = cmdStaff(ctx, env, args[1:], stdin, stdout, stderr)
	case "demo":
		err = untilSignal(ctx, cmdDemo(ctx, env, stdout, stderr))
	case "serve":
		err = untilSignal(ctx, cmdServe(ctx, env, args[1:], stderr))
	case "check":
		err = cmdCheck(ctx, env, os.Getenv, stdout)
	case "imap":
		err = untilSignal(ctx, cmdIMAP(ctx, env, os.Getenv, args[1:], stderr))
	case "web":
		err = untilSignal(ctx, cmdWeb(ctx, env, stderr))
	case "version", "--version":
		fmt.Fprintln(stdout, "tramita", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tramita: comando desconhecido / unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	return exitCode(err, stderr)
}

// untilSignal is the result of a command that runs until SIGINT or SIGTERM:
// a signal that arrives while the command is still starting (connecting to
// the database, say) is the stop it asks for, not a failure, so the
// context error it causes becomes nil (exit status 0, as systemd expects).
func untilSignal(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// errUsage marks a command-line mistake.
var errUsage = errors.New("usage")

// errNotFound marks a missing protocol or message.
var errNotFound = errors.New("not found")

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "tramita:", err)
	switch {
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errNotFound):
		return exitNotFound
	}
	return exitFailure
}
