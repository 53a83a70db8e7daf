// Command baseline is the same-run baseline of bench/memory: the least a Go
// program does in the two situations measured there.
//
//	baseline readall < message.eml   # io.ReadAll of stdin, as `tramita ingest` starts
//	baseline http 127.0.0.1:PORT     # a net/http server answering "ok", until SIGTERM
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: baseline readall < FILE | baseline http ADDR")
		os.Exit(64)
	}
	switch os.Args[1] {
	case "readall":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(len(b))
	case "http":
		if len(os.Args) != 3 {
			os.Exit(64)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		srv := &http.Server{Addr: os.Args[2], ReadHeaderTimeout: 10 * time.Second,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })}
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		os.Exit(64)
	}
}
