package console

import (
	"fmt"
	"time"

	"example.com/demo/internal/tasks"
)

// The overview's charts are SVG drawn here: one bar per minute of the last
// hour, no script, nothing fetched. Coordinates are in the SVG's own units
// (the style sheet stretches it to the page's width).

const (
	chartW   = 600
	chartH   = 120
	chartBar = chartW / 60
)

type chart struct {
	Title string
	// Peak is the tallest bar's value, as the scale's label says it.
	Peak string
	// Note sums the hour up.
	Note string
	Bars []bar
	W, H int
}

// bar is one rectangle; Class picks its colour in the style sheet.
type bar struct {
	X, Y, W, H float64
	Class      string
	Tip        string
}

// charts draws the throughput (final outcomes per minute, failures stacked
// on successes) and the wait from due to start (mean per minute) of the
// hour ending at now.
func charts(minutes []tasks.Minute, now time.Time) (throughput, wait chart) {
	start := now.Add(-59 * time.Minute)
	var done, failed, started int64
	var peakOut int64
	var peakWait, waitSum float64
	for _, m := range minutes {
		peakOut = max(peakOut, m.Completed+m.Failed)
		peakWait = max(peakWait, m.AvgWaitMS())
		done, failed, started = done+m.Completed, failed+m.Failed, started+m.Started
		waitSum += m.WaitMS
	}
	throughput = chart{Title: "Throughput (tasks finished per minute)", W: chartW, H: chartH,
		Peak: fmt.Sprint(peakOut), Note: fmt.Sprintf("%d completed, %d failed in the last hour", done, failed)}
	wait = chart{Title: "Wait from due to start (mean per minute)", W: chartW, H: chartH,
		Peak: ms(peakWait), Note: fmt.Sprintf("%d started in the last hour", started)}
	if started > 0 {
		wait.Note += ", mean " + ms(waitSum/float64(started))
	}
	for _, m := range minutes {
		x := float64(int(m.Start.Sub(start)/time.Minute) * chartBar)
		if x < 0 || x >= chartW {
			continue
		}
		label := m.Start.UTC().Format("15:04")
		okH, failH := scale(float64(m.Completed), float64(peakOut)), scale(float64(m.Failed), float64(peakOut))
		throughput.Bars = append(throughput.Bars,
			bar{X: x, Y: chartH - okH, W: chartBar - 1, H: okH, Class: "ok", Tip: fmt.Sprintf("%s: %d completed", label, m.Completed)},
			bar{X: x, Y: chartH - okH - failH, W: chartBar - 1, H: failH, Class: "bad", Tip: fmt.Sprintf("%s: %d failed", label, m.Failed)})
		h := scale(m.AvgWaitMS(), peakWait)
		wait.Bars = append(wait.Bars, bar{X: x, Y: chartH - h, W: chartBar - 1, H: h, Class: "wait",
			Tip: fmt.Sprintf("%s: %d started, mean wait %s, longest %s", label, m.Started, ms(m.AvgWaitMS()), ms(m.WaitMaxMS))})
	}
	return throughput, wait
}

// scale maps v of peak onto the chart's height.
func scale(v, peak float64) float64 {
	if peak <= 0 {
		return 0
	}
	return v / peak * chartH
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}
