// Package faults holds Tramita's fault tests (RELIABILITY.md): real
// `tramita serve` processes killed with SIGKILL while mail arrives, the
// SMTP server, PostgreSQL and Dovecot taken away and brought back, each
// checked for lost mail, duplicate protocols and duplicate sends.
//
// The tests are behind the build tag "faults" and run with scripts/faults
// (CI runs it after the normal tests):
//
//	GOTOOLCHAIN=local go test -tags faults -count=1 -v ./internal/faults/
//
// They need what scripts/setup provides: PostgreSQL on 127.0.0.1:5432 (the
// PostgreSQL test restarts that cluster with pg_ctlcluster, so it needs
// root) and Dovecot. Everything listens on loopback only. The package has no
// code outside its tests.
package faults
