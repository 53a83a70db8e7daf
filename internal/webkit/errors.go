package webkit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tramita/tramita/core"
)

// ErrorView is what an error page shows: not found, refused, too many
// requests, unavailable. Sites put it in their page data and render their
// "error" page with it.
type ErrorView struct {
	Kind    string // CSS class suffix: erro, limite, aviso
	Title   string // pt-BR heading, also the page title
	Message string // what happened, pt-BR
	Detail  string // what to do now (optional)
}

// FailureStatus is the status for a failed database call: 503 with
// Retry-After: 30 when trying again may work (core.IsTemporary, a
// deadline), 500 otherwise. Log the error itself; never show it.
func FailureStatus(w http.ResponseWriter, err error) int {
	if core.IsTemporary(err) || errors.Is(err, context.DeadlineExceeded) {
		w.Header().Set("Retry-After", "30")
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// TooMany sets Retry-After for a refused request that may try again after
// wait and returns the status 429 and an ErrorView saying so in pt-BR;
// title names what was limited ("Muitos envios seguidos").
func TooMany(w http.ResponseWriter, wait time.Duration, title, message string) (int, *ErrorView) {
	secs := RetryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return http.StatusTooManyRequests, &ErrorView{Kind: "limite", Title: title, Message: message,
		Detail: "Tente novamente em " + WaitText(secs) + "."}
}

// APIError is the JSON body of every API error.
type APIError struct {
	Error   string `json:"error"`   // stable code, e.g. limite_excedido, indisponivel
	Message string `json:"message"` // pt-BR, for people
}

// WriteJSONError writes an APIError with status.
func WriteJSONError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, APIError{Error: code, Message: msg})
}

// WriteJSON writes v as one JSON document with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"interno"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
