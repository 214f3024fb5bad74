package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/internal/chromiumtest"
)

// chromiumTimeout bounds each chromium run.
const chromiumTimeout = 60 * time.Second

// runChromium runs headless chromium with args after the common ones and
// returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	common := []string{"--user-data-dir=" + t.TempDir()}
	for _, f := range chromiumtest.Flags() {
		common = append(common, "--"+f)
	}
	cmd := exec.CommandContext(ctx, bin, append(common, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "chromium did not finish within %s; stderr:\n%s", chromiumTimeout, tail(stderr.String()))
	require.NoError(t, err, "chromium failed; stderr:\n%s", tail(stderr.String()))
	return stdout.Bytes()
}

// tail keeps the end of a long chromium log.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// TestHTMLRendersInChromium writes sample reports, has headless Chromium
// load them from disk (no network) and checks the rendered DOM and a
// screenshot: the verdict banner is there and coloured, every requirement
// has its row.
func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromiumtest.Find(t)
	tests := []struct {
		name         string
		r            *Report
		verdictClass string
		verdict      string
		bannerColor  func(r, g, b uint8) bool
	}{
		{"fail", fullReport(true), "verdict-fail", "FAIL", func(r, g, b uint8) bool { return r > 120 && g < 70 && b < 70 }},
		{"pass", fullReport(false), "verdict-pass", "PASS", func(r, g, b uint8) bool { return g > 80 && r < 70 && b < 90 && g > r+40 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if keep := os.Getenv(chromiumtest.EnvKeepRender); keep != "" {
				dir = keep
				require.NoError(t, os.MkdirAll(dir, 0o755))
			}
			htmlPath := filepath.Join(dir, "report-"+tt.name+".html")
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, FormatHTML, tt.r))
			require.NoError(t, os.WriteFile(htmlPath, buf.Bytes(), 0o644))
			url := "file://" + htmlPath

			// One launch renders the page once and both dumps the DOM and
			// takes the screenshot; a build that ignores one of the two
			// flags gets a second launch for the screenshot.
			pngPath := filepath.Join(dir, "report-"+tt.name+".png")
			dom := string(runChromium(t, bin, "--dump-dom", "--screenshot="+pngPath, "--window-size=1280,2000", url))
			if _, err := os.Stat(pngPath); err != nil {
				runChromium(t, bin, "--screenshot="+pngPath, "--window-size=1280,2000", url)
			}

			assert.Contains(t, dom, `class="banner `+tt.verdictClass+`"`)
			assert.Contains(t, dom, `aria-label="verdict">`+tt.verdict+`</div>`)
			for _, q := range tt.r.Requirements {
				assert.Contains(t, dom, `id="req-`+q.ID+`"`, "row for %s", q.ID)
			}
			assert.Equal(t, len(tt.r.Requirements), strings.Count(dom, `<tr class="req `))

			info, err := os.Stat(pngPath)
			require.NoError(t, err, "screenshot not written")
			assert.Greater(t, info.Size(), int64(30_000), "screenshot is suspiciously small")
			img := decodePNG(t, pngPath)
			assert.Equal(t, image.Rect(0, 0, 1280, 2000), img.Bounds())
			assert.Greater(t, distinctColors(img, 2000), 50, "screenshot looks blank")
			banner := countPixels(img, image.Rect(0, 0, 1280, 300), tt.bannerColor)
			assert.Greater(t, banner, 50_000, "the %s banner colour fills the top of the page", tt.name)
		})
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "screenshot is not a PNG")
	return img
}

// distinctColors counts distinct colours, stopping at limit.
func distinctColors(img image.Image, limit int) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// countPixels counts the pixels of rect that match.
func countPixels(img image.Image, rect image.Rectangle, match func(r, g, b uint8) bool) int {
	n := 0
	rect = rect.Intersect(img.Bounds())
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if match(uint8(r>>8), uint8(g>>8), uint8(b>>8)) {
				n++
			}
		}
	}
	return n
}
