package delivery

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// minParkBytes is the smallest body worth deflating while it waits: below
// it flate's framing eats most of the gain.
const minParkBytes = 256

// parker holds the bodies of jobs waiting for a retry deflated. A receiver
// that is down for DevRev's whole 3.5-minute window at a few hundred
// events/s leaves ~100 000 events waiting at once; their JSON bodies
// deflate to about half (a realistic 1 KiB event) or a quarter (a 4 KiB
// catalogue event) of their size, for ~20 µs (1 KiB) to ~40 µs (4 KiB) to
// deflate and inflate back (BenchmarkPark) — small beside the HTTP exchange
// that failed. Deflaters and inflaters are pooled: a fresh deflater
// allocates ~1.2 MB.
type parker struct {
	deflaters sync.Pool // *deflater
	inflaters sync.Pool // *inflater
}

type deflater struct {
	w   *flate.Writer
	out bytes.Buffer
}

type inflater struct {
	r   io.ReadCloser // also a flate.Resetter
	src bytes.Reader
}

// deflate returns body deflated, or nil when that would not save memory
// (a short or incompressible body): the caller then keeps body as it is.
func (p *parker) deflate(body []byte) []byte {
	if len(body) < minParkBytes {
		return nil
	}
	d, _ := p.deflaters.Get().(*deflater)
	if d == nil {
		d = &deflater{}
		// BestSpeed is a valid level: NewWriter cannot fail.
		d.w, _ = flate.NewWriter(&d.out, flate.BestSpeed)
	}
	defer p.deflaters.Put(d)
	d.out.Reset()
	d.w.Reset(&d.out)
	// Writes to a bytes.Buffer do not fail.
	_, _ = d.w.Write(body)
	_ = d.w.Close()
	if d.out.Len() >= len(body)*7/8 {
		return nil
	}
	return bytes.Clone(d.out.Bytes())
}

// inflate restores a body of size bytes from its deflated form.
func (p *parker) inflate(packed []byte, size int) ([]byte, error) {
	in, _ := p.inflaters.Get().(*inflater)
	if in == nil {
		in = &inflater{}
		in.src.Reset(packed)
		in.r = flate.NewReader(&in.src)
	} else {
		in.src.Reset(packed)
		if err := in.r.(flate.Resetter).Reset(&in.src, nil); err != nil {
			return nil, fmt.Errorf("inflate parked body: %w", err)
		}
	}
	defer func() {
		in.src.Reset(nil) // keep no parked body alive in the pool
		p.inflaters.Put(in)
	}()
	body := make([]byte, size)
	if _, err := io.ReadFull(in.r, body); err != nil {
		return nil, fmt.Errorf("inflate parked body: %w", err)
	}
	return body, nil
}
