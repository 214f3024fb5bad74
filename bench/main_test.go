package main

import (
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
