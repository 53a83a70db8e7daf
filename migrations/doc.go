// Package migrations embeds Tramita's numbered, forward-only SQL migrations
// and applies them with github.com/jackc/tern/v2 (one transaction each,
// under a PostgreSQL advisory lock, so concurrent starters are safe).
package migrations
