package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/bench/internal/benchdb"
)

// backendPIDs opens every connection of pool and returns the PostgreSQL
// backend process of each, so their CPU can be measured (other users of the
// same server do not count).
func backendPIDs(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	var conns []*pgxpool.Conn
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	var pids []int
	for i := int32(0); i < pool.Config().MaxConns; i++ {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		var pid int
		if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// cpuSample is the CPU used so far by the servers and by each database backend.
type cpuSample struct {
	server time.Duration
	db     map[int]time.Duration
}

func sampleCPU(pids []int) cpuSample {
	s := cpuSample{server: benchdb.SelfCPU(), db: map[int]time.Duration{}}
	for _, pid := range pids {
		if d, err := benchdb.ProcCPU(pid); err == nil {
			s.db[pid] = d
		}
	}
	return s
}

// cpuUsed is the CPU used between two samples: the servers', and the
// database backends' that lived through both (a backend replaced meanwhile
// is left out, and gone reports it).
func cpuUsed(before, after cpuSample) (server, db time.Duration, gone int) {
	for pid, b := range before.db {
		if a, ok := after.db[pid]; ok {
			db += a - b
		} else {
			gone++
		}
	}
	return after.server - before.server, db, gone
}
