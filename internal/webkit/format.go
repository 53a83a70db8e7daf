package webkit

import (
	"strconv"
	"strings"

	"github.com/tramita/tramita/core"
)

// statusClasses are the shared stylesheet's CSS classes (colour) of the
// statuses; the words come from core's one vocabulary (core.Status.Label).
var statusClasses = map[core.Status]string{
	core.StatusOpen:              "aberto",
	core.StatusSuspended:         "sobrestado",
	core.StatusConcluded:         "concluido",
	core.StatusAwaitingRequester: "aguardando",
}

// StatusClass returns st's CSS class suffix; a status without one is shown
// as open.
func StatusClass(st core.Status) string {
	if c, ok := statusClasses[st]; ok {
		return c
	}
	return "aberto"
}

// FormatSize writes n bytes the Brazilian way: "900 bytes", "12 KB"
// (rounded), "1,5 MB".
func FormatSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1024*1024:
		return strconv.FormatInt((n+512)/1024, 10) + " KB"
	}
	mb := strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64)
	return strings.Replace(mb, ".", ",", 1) + " MB"
}
