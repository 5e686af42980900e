//go:build !linux

package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The server's CPU time is read from /proc: elsewhere it is not reported.
func serverCPU(int) (time.Duration, bool)              { return 0, false }
func postmasterPID(context.Context, *pgxpool.Pool) int { return 0 }
func selfCPU() time.Duration                           { return 0 }
