// Package templates embeds Tramita's e-mail templates (mail/, one per
// notification kind, pt-BR and en) and the lookup page templates (web/).
// Each consumer checks at start-up that every template it needs exists.
package templates
