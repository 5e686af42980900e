// Package pgtestbench measures the time a test waits for its database, on one embedded PostgreSQL,
// three ways: a pgtest clone of a migrated template, a fresh database migrated per test, and
// github.com/peterldowns/pgtestdb (same migrations, same server).
//
//	cd bench && go test -run '^$' -bench TimeToDatabase -benchtime 200x ./pgtestbench
//
// Each iteration ends when a new connection to the new database has answered SELECT 1; the
// database is dropped outside the timed region. p50-ms and p95-ms are reported per approach.
// pgtest runs under pgtest.Main, as a generated project's tests do, so clones are prepared ahead;
// PGTESTBENCH_NO_MAIN=1 measures it without (every test waits for its CREATE DATABASE).
package pgtestbench
