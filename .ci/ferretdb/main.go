// Command ferretdb serves FerretDB (a MongoDB-wire-compatible database,
// Apache-2.0) with its SQLite backend on a loopback TCP address, until SIGINT
// or SIGTERM. Once it accepts connections it prints its MongoDB URI as the
// first line of standard output. Latch's CI uses it as the MongoDB server
// for the tests (see .ci/run).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite backend directory, as a file: URI ending in /")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()
	// MongoDBURI waits until the listener is up, so this line means "ready".
	fmt.Println(server.MongoDBURI())
	if err := <-done; err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}
