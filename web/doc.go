// Package web serves the public lookup page (protocol number plus access
// key or CPF/CNPJ) and its JSON twin, with net/http and html/template.
package web
