package tasks

import (
	"context"
	"math"
	"slices"
	"time"
)

// maxValues bounds the numbers of one data_processing task.
const maxValues = 1_000_000

type dataPayload struct {
	Values []float64 `json:"values"`
}

// DataStats is the result of a data_processing task.
type DataStats struct {
	Count  int     `json:"count"`
	Sum    float64 `json:"sum"`
	Mean   float64 `json:"mean"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Median float64 `json:"median"`
	StdDev float64 `json:"stddev"`
}

// processData computes summary statistics of payload.values (population
// standard deviation).
func processData(ctx context.Context, t *Task) (any, error) {
	var p dataPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if len(p.Values) == 0 || len(p.Values) > maxValues {
		return nil, invalid(t.TaskType, "values must hold 1–%d numbers", maxValues)
	}
	st := DataStats{Count: len(p.Values), Min: math.Inf(1), Max: math.Inf(-1)}
	for i, v := range p.Values {
		if i%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		st.Sum += v
		st.Min = min(st.Min, v)
		st.Max = max(st.Max, v)
	}
	st.Mean = st.Sum / float64(st.Count)
	var sq float64
	for _, v := range p.Values {
		sq += (v - st.Mean) * (v - st.Mean)
	}
	st.StdDev = math.Sqrt(sq / float64(st.Count))
	sorted := slices.Clone(p.Values)
	slices.Sort(sorted)
	if n := len(sorted); n%2 == 1 {
		st.Median = sorted[n/2]
	} else {
		st.Median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return st, nil
}

// maxDelaySeconds bounds a delay_task.
const maxDelaySeconds = 3600

type delayPayload struct {
	Seconds *float64 `json:"seconds"`
}

// delay sleeps payload.seconds (fractions allowed), or less if ctx ends.
func delay(ctx context.Context, t *Task) (any, error) {
	var p delayPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if p.Seconds == nil || !(*p.Seconds >= 0 && *p.Seconds <= maxDelaySeconds) {
		return nil, invalid(t.TaskType, "seconds must be a number from 0 to %d", maxDelaySeconds)
	}
	d := time.Duration(*p.Seconds * float64(time.Second))
	start := time.Now()
	if !sleep(ctx, d) {
		return nil, ctx.Err()
	}
	return map[string]any{"slept_seconds": time.Since(start).Seconds(), "requested_seconds": *p.Seconds}, nil
}
