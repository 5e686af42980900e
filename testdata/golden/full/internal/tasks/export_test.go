package tasks

// ClaimSQL is the claim statement, for the benchmarks of package tasks_test.
const ClaimSQL = claimSQL
