package gen

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/klauspost/compress/gzip"
)

// writer writes files; one per worker, its buffers reused from file to file.
type writer struct {
	p     *plan
	w     *world
	out   string
	g     fileGen
	json  []byte
	zbuf  bytes.Buffer
	gz    *gzip.Writer
	hist  []int32
	arecs []frec // attack records of the current file
	abuf  []byte
	dirs  map[string]bool
	// digests: describe each file for the digests (hashing costs time).
	digests bool
}

// frec is an attack record placed in the current file.
type frec struct {
	t        int64
	off, end int
}

func newWriter(p *plan, w *world, out string) *writer {
	gz, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	wr := &writer{p: p, w: w, out: out, gz: gz, dirs: map[string]bool{}}
	wr.g.w = w
	return wr
}

// write generates and writes file f; it returns the records and bytes
// written, and describes the file in e (for digests).
func (wr *writer) write(f *fileSpec, e *logEntry) (int, int64, error) {
	s := &wr.p.streams[f.stream]
	acct := wr.w.accounts[s.acct]
	g := &wr.g
	g.acct, g.reg, g.region = acct, s.reg, s.region
	g.tbl = tables()[0]
	if s.region == "us-east-1" {
		g.tbl = tables()[1]
	}
	g.r.seed(wr.p.seed, streamFile+uint64(f.index))
	name := g.r.appendChars(nil, alnumChars, 16)

	wr.collectAttacks(f, s)
	records := f.benign + len(wr.arecs)

	// Benign times: a histogram over the file's seconds, read in order.
	n := int(f.to - f.from)
	wr.hist = slices.Grow(wr.hist[:0], n)[:n]
	clear(wr.hist)
	for range f.benign {
		wr.hist[g.r.intn(n)]++
	}
	b := append(wr.json[:0], `{"Records":[`...)
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	ai := 0
	for sec, c := range wr.hist {
		t := f.from + int64(sec)
		for ; ai < len(wr.arecs) && wr.arecs[ai].t <= t; ai++ {
			sep()
			b = append(b, wr.abuf[wr.arecs[ai].off:wr.arecs[ai].end]...)
		}
		for range c {
			sep()
			b = g.benign(b, t)
		}
	}
	for ; ai < len(wr.arecs); ai++ {
		sep()
		b = append(b, wr.abuf[wr.arecs[ai].off:wr.arecs[ai].end]...)
	}
	b = append(b, "]}"...)
	wr.json = b

	wr.zbuf.Reset()
	wr.gz.Reset(&wr.zbuf)
	if _, err := wr.gz.Write(b); err != nil {
		return 0, 0, fmt.Errorf("compress: %w", err)
	}
	if err := wr.gz.Close(); err != nil {
		return 0, 0, fmt.Errorf("compress: %w", err)
	}
	dir, file := filePath(wr.out, acct.id, s.region, f.delivery, name)
	if !wr.dirs[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, 0, fmt.Errorf("create directory: %w", err)
		}
		wr.dirs[dir] = true
	}
	if err := os.WriteFile(filepath.Join(dir, file), wr.zbuf.Bytes(), 0o644); err != nil {
		return 0, 0, fmt.Errorf("write log file: %w", err)
	}
	if wr.digests {
		rel, _ := filepath.Rel(wr.out, filepath.Join(dir, file))
		*e = logEntry{key: filepath.ToSlash(rel), sha: sha256.Sum256(b), oldest: f.from, newest: f.to - 1,
			delivery: f.delivery, acct: acct.id, region: s.region, written: true}
	}
	return records, int64(wr.zbuf.Len()), nil
}

// collectAttacks replays the instances with records in f and keeps those
// records, sorted by time.
func (wr *writer) collectAttacks(f *fileSpec, s *stream) {
	wr.arecs, wr.abuf = wr.arecs[:0], wr.abuf[:0]
	keep := func(region string, t int64, rec []byte) {
		if region != s.region || t < f.from || t >= f.to {
			return
		}
		off := len(wr.abuf)
		wr.abuf = append(wr.abuf, rec...)
		wr.arecs = append(wr.arecs, frec{t: t, off: off, end: len(wr.abuf)})
	}
	for _, k := range f.attacks {
		in := &wr.p.instances[k]
		newAttack(wr.w, wr.p.seed, int(k), wr.w.accounts[in.acct], in.home, in.t0, keep).run(in.sc)
	}
	slices.SortStableFunc(wr.arecs, func(a, b frec) int { return int(a.t - b.t) })
}

// filePath returns where CloudTrail delivers a file: the directory
// <out>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD and the name
// <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<name>.json.gz.
func filePath(out, acct, region string, delivery int64, name []byte) (string, string) {
	y, m, d := civil(delivery / day)
	secs := delivery % day
	dir := filepath.Join(out, "AWSLogs", acct, "CloudTrail", region,
		fmt.Sprintf("%04d", y), fmt.Sprintf("%02d", m), fmt.Sprintf("%02d", d))
	file := fmt.Sprintf("%s_CloudTrail_%s_%04d%02d%02dT%02d%02dZ_%s.json.gz", acct, region, y, m, d, secs/3600, secs/60%60, name)
	return dir, file
}
