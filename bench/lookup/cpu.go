package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockTick is the unit of /proc/PID/stat CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

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

// procCPU is the user+system CPU time of process pid so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from after ")".
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * clockTick, nil
}

// selfCPU is this process's user+system CPU time so far (the servers).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSample is the CPU used so far by the servers and by each database backend.
type cpuSample struct {
	server time.Duration
	db     map[int]time.Duration
}

func sampleCPU(pids []int) cpuSample {
	s := cpuSample{server: selfCPU(), db: map[int]time.Duration{}}
	for _, pid := range pids {
		if d, err := procCPU(pid); err == nil {
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
