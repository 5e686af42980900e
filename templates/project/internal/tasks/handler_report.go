package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

type reportHandler struct{ store *Store }

type reportPayload struct {
	// PeriodHours is the window of tasks created that the report covers (default 24).
	PeriodHours *float64 `json:"period_hours"`
	// TaskType restricts the report to one type.
	TaskType string `json:"task_type"`
}

// TypeReport is one task type's line in a report.
type TypeReport struct {
	Total     int64 `json:"total"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
}

// Report is the result of a report_generation task.
type Report struct {
	From          time.Time             `json:"from"`
	To            time.Time             `json:"to"`
	Total         int64                 `json:"total"`
	ByStatus      map[Status]int64      `json:"by_status"`
	ByType        map[string]TypeReport `json:"by_type"`
	SuccessRate   *float64              `json:"success_rate"`
	AvgDurationMS *float64              `json:"avg_duration_ms"`
	AvgAttempts   *float64              `json:"avg_attempts"`
	Note          string                `json:"note"`
}

// Handle aggregates the tasks created within the period.
func (h reportHandler) Handle(ctx context.Context, t *Task) (any, error) {
	var p reportPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	hours := 24.0
	if p.PeriodHours != nil {
		hours = *p.PeriodHours
	}
	if !(hours > 0 && hours <= 24*366) {
		return nil, invalid(t.TaskType, "period_hours must be more than 0 and at most 8784")
	}
	to := time.Now().UTC()
	from := to.Add(-time.Duration(hours * float64(time.Hour)))
	return h.store.report(ctx, from, to, p.TaskType, t.CreatedBy)
}

// reportScope limits a report to the tasks its owner ($4) can read through
// the API: their own for a user, all for a moderator or an admin (and for a
// task without an owner, which only they can read). The role is read when
// the report runs, not when it was asked for.
const reportScope = `($4::uuid IS NULL OR created_by = $4
	OR EXISTS (SELECT 1 FROM users WHERE id = $4 AND role IN ('moderator', 'admin')))`

func (s *Store) report(ctx context.Context, from, to time.Time, taskType string, owner *uuid.UUID) (*Report, error) {
	r := &Report{From: from, To: to, ByStatus: map[Status]int64{}, ByType: map[string]TypeReport{},
		Note: "tasks created in [from, to] that the report's owner can see; success_rate = completed / (completed + failed)"}
	for _, st := range Statuses {
		r.ByStatus[st] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT task_type, status, count(*) FROM tasks
		WHERE created_at BETWEEN $1 AND $2 AND ($3 = '' OR task_type = $3) AND `+reportScope+`
		GROUP BY task_type, status`, from, to, taskType, owner)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for rows.Next() {
		var tt string
		var st Status
		var n int64
		if err := rows.Scan(&tt, &st, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("report: %w", err)
		}
		r.Total += n
		r.ByStatus[st] += n
		line := r.ByType[tt]
		line.Total += n
		switch st {
		case StatusCompleted:
			line.Completed += n
		case StatusFailed:
			line.Failed += n
		}
		r.ByType[tt] = line
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if done := r.ByStatus[StatusCompleted] + r.ByStatus[StatusFailed]; done > 0 {
		rate := float64(r.ByStatus[StatusCompleted]) / float64(done)
		r.SuccessRate = &rate
	}
	err = s.pool.QueryRow(ctx, `SELECT avg(extract(epoch FROM completed_at - started_at) * 1000)::float8, avg(current_attempt)::float8
		FROM tasks WHERE status = 'completed' AND created_at BETWEEN $1 AND $2 AND ($3 = '' OR task_type = $3) AND `+reportScope,
		from, to, taskType, owner).Scan(&r.AvgDurationMS, &r.AvgAttempts)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return r, nil
}
