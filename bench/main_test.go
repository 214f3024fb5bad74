package main

import (
	"flag"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelectMeasurements(t *testing.T) {
	all := []Measurement{{Name: "delivery"}, {Name: "sign"}}
	tests := []struct {
		only    string
		want    []string
		wantErr string
	}{
		{"", []string{"delivery", "sign"}, ""},
		{"sign", []string{"sign"}, ""},
		{" sign , delivery ", []string{"sign", "delivery"}, ""},
		{"nope", nil, `unknown measurement "nope" (have delivery, sign)`},
	}
	for _, tt := range tests {
		t.Run(tt.only, func(t *testing.T) {
			got, err := selectMeasurements(all, tt.only)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			names := make([]string, len(got))
			for i, m := range got {
				names[i] = m.Name
			}
			assert.Equal(t, tt.want, names)
		})
	}
}

func TestMeasurementNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range measurements() {
		assert.False(t, seen[m.Name], m.Name)
		assert.NotNil(t, m.Run, m.Name)
		seen[m.Name] = true
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{13354.4: "13354", 42.25: "42.2", 0.873: "0.87", 3: "3.00", -166.4: "-166", -4.59: "-4.59"} {
		assert.Equal(t, want, formatValue(v))
	}
}

// TestMain lets the test binary serve as a memory child, as the bench
// binary does: runChild re-executes os.Executable().
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestMeasurementsQuick runs every measurement in quick mode: it proves
// each one works end to end (servers, check, child processes), not that
// this machine meets the targets.
func TestMeasurementsQuick(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	require.NoError(t, flag.Set("test.benchtime", "50x"))
	t.Cleanup(func() { _ = flag.Set("test.benchtime", old) })
	s := Settings{Benchtime: time.Millisecond, Rounds: 1, Concurrency: 2, Quick: true, Log: io.Discard}
	for _, m := range measurements() {
		t.Run(m.Name, func(t *testing.T) {
			rows, err := m.Run(s)
			require.NoError(t, err)
			require.NotEmpty(t, rows)
			for _, r := range rows {
				assert.NotEmpty(t, r.Name)
				assert.NotEmpty(t, r.Unit, r.Name)
				assert.False(t, math.IsNaN(r.Value) || math.IsInf(r.Value, 0), r.Name)
				assert.Equal(t, r.Target != "", r.OK != nil, "%s: a target comes with a result", r.Name)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.99, 10}, {0.1, 1}, {1, 10}, {0.01, 1}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, percentile(d, tt.q), "q=%v", tt.q)
	}
	assert.Zero(t, percentile(nil, 0.5))
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1 000", 10_000: "10 000", 100_000: "100 000", 1_234_567: "1 234 567"} {
		assert.Equal(t, want, thousands(n))
	}
}

func TestChildMainRejectsBadSpecs(t *testing.T) {
	tests := []struct{ spec, wantErr string }{
		{"{", "bad " + childEnv},
		{`{"kind":"nope"}`, `unknown kind "nope"`},
		{`{"kind":"queue","n":1,"shape":"odd"}`, `unknown event shape "odd"`},
		{`{"kind":"log","n":0}`, "capacity must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			var out, errOut strings.Builder
			assert.NotZero(t, childMain(tt.spec, &out, &errOut))
			assert.Contains(t, errOut.String(), tt.wantErr)
			assert.Empty(t, out.String())
		})
	}
}

func TestProcStatus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM comes from /proc")
	}
	hwm, rss := procStatus()
	assert.Positive(t, rss)
	assert.GreaterOrEqual(t, hwm, rss)
}

func TestMedian(t *testing.T) {
	assert.Zero(t, median(nil))
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	xs := []float64{3, 1, 2}
	median(xs)
	assert.Equal(t, []float64{3, 1, 2}, xs, "not modified")
}
