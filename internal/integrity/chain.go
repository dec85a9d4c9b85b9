package integrity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// How a walked segment of a chain begins.
type segmentStart int

const (
	chainStarted segmentStart = iota // previousDigestSignature is null: logging (re)started
	chainBroken                      // the previous digest is missing, unreadable or misplaced
	chainBeyond                      // the previous digest exists outside the window read (or another bucket)
	chainJoined                      // the previous digest is on a segment already walked
)

// segment is a run of linked digests, newest first.
type segment struct {
	newest, oldest *loadedDigest
	start          segmentStart
	detail         string
}

// analyse judges one pair's digests: where each sits, its signature and
// account, the links of each chain, the gaps between chains; and it collects
// the log files the digests list.
func (v *verifier) analyse(p *pair) {
	byKey := make(map[string]*loadedDigest, len(p.loaded))
	for _, ld := range p.loaded {
		byKey[ld.key] = ld
	}
	for _, ld := range p.loaded {
		v.judgeDigest(p, ld)
	}

	// Walk every chain from its newest digest back.
	var chained []*loadedDigest
	for _, ld := range p.loaded {
		if ld.d != nil && ld.placed {
			chained = append(chained, ld)
		}
	}
	slices.SortFunc(chained, func(a, b *loadedDigest) int {
		return cmp.Or(b.d.EndTime.Compare(a.d.EndTime), strings.Compare(a.key, b.key))
	})
	segs := map[string][]segment{} // by trail
	for _, head := range chained {
		if p.visited[head.key] {
			continue
		}
		s := v.walk(p, head, byKey)
		segs[head.loc.Trail] = append(segs[head.loc.Trail], s)
	}
	trails := make([]string, 0, len(segs))
	for t := range segs {
		trails = append(trails, t)
	}
	slices.Sort(trails)
	for _, t := range trails {
		v.findGaps(p, t, segs[t])
	}

	// A digest in range with no problem is valid.
	for _, ld := range p.loaded {
		if ld.inWindow && ld.err == nil && !v.problem[ld.key] {
			v.add(p, ld.key, KindDigest, Valid, "")
		}
	}
}

// judgeDigest records the verdicts a digest earns on its own, and the log
// files it lists.
func (v *verifier) judgeDigest(p *pair, ld *loadedDigest) {
	report := ld.inWindow
	if ld.err != nil {
		if report {
			verdict, detail := describe(ld.err)
			v.add(p, ld.key, KindDigest, verdict, detail)
		}
		return
	}
	d := ld.d
	if !ld.placed {
		if report {
			v.add(p, ld.key, KindDigest, DigestMoved, fmt.Sprintf("its own location is s3://%s/%s", d.S3Bucket, d.S3Object))
		}
		return
	}
	if report && ld.verdict != Valid {
		v.add(p, ld.key, KindDigest, ld.verdict, ld.detail)
	}
	if report && d.AccountID != p.account {
		v.add(p, ld.key, KindDigest, WrongAccount, fmt.Sprintf("digest of account %s in the folder of account %s", d.AccountID, p.account))
	}
	for _, f := range d.LogFiles {
		loc, ok := parseKey(f.S3Object)
		if !ok || loc.Kind != KindLog || loc.Base != p.base || loc.Region != p.region || f.S3Bucket != d.S3Bucket {
			if report {
				v.add(p, ld.key, KindDigest, WrongAccount, fmt.Sprintf("lists s3://%s/%s, not a log file of this trail (account %s, region %s)",
					f.S3Bucket, f.S3Object, p.account, p.region))
			}
			continue
		}
		lf := p.files[f.S3Object]
		if lf == nil {
			lf = &logFile{key: f.S3Object}
			p.files[f.S3Object] = lf
		}
		lf.claims = append(lf.claims, claim{digest: ld, hash: f.HashValue})
	}
}

// walk follows one chain from head back through previousDigestS3Object,
// checking each link, until it starts, breaks, leaves the window or joins a
// chain already walked.
func (v *verifier) walk(p *pair, head *loadedDigest, byKey map[string]*loadedDigest) segment {
	s := segment{newest: head}
	for cur := head; ; {
		p.visited[cur.key] = true
		s.oldest = cur
		d := cur.d
		if d.PreviousSignature == "" {
			s.start = chainStarted
			return s
		}
		if d.PreviousS3Bucket != d.S3Bucket {
			s.start = chainBeyond // the trail delivered to another bucket before
			return s
		}
		prevKey := d.PreviousS3Object
		prev := byKey[prevKey]
		if prev == nil {
			if _, listed := p.listed[prevKey]; listed {
				s.start = chainBeyond
				return s
			}
			s.start = chainBroken
			s.detail = fmt.Sprintf("previous digest %s is missing", prevKey)
			// Judged by its own time, as a file in range, when its name has one.
			prevLoc, _ := parseKey(prevKey)
			if prevLoc.Time.IsZero() && cur.inWindow || !prevLoc.Time.IsZero() && v.within(prevLoc.Time) {
				v.add(p, prevKey, KindDigest, DigestMissing, "named as the previous digest by "+cur.key)
			}
			return s
		}
		if cur.trusted(p.account) {
			v.checkLink(p, cur, prev)
		}
		switch {
		case prev.d == nil:
			s.start = chainBroken
			s.detail = fmt.Sprintf("previous digest %s is unreadable", prevKey)
			return s
		case !prev.placed:
			s.start = chainBroken
			s.detail = fmt.Sprintf("previous digest %s is another digest moved there", prevKey)
			return s
		case p.visited[prevKey]:
			s.start = chainJoined
			return s
		}
		cur = prev
	}
}

// checkLink checks what a trusted digest says of the previous one: its hash
// and its signature.
func (v *verifier) checkLink(p *pair, cur, prev *loadedDigest) {
	d := cur.d
	if prev.hash != "" && !strings.EqualFold(prev.hash, d.PreviousHashValue) {
		prev.modified = true
		if prev.inWindow {
			v.add(p, prev.key, KindDigest, Modified, fmt.Sprintf("SHA-256 %s, but the next digest %s records %s",
				prev.hash, cur.key, strings.ToLower(d.PreviousHashValue)))
		}
		return
	}
	if prev.d != nil && prev.placed && prev.verdict == Valid && !strings.EqualFold(prev.sig, d.PreviousSignature) && prev.inWindow {
		v.add(p, prev.key, KindDigest, BadSignature, "its signature differs from the one the next digest "+cur.key+" records")
	}
}

// findGaps reports the spans between one trail's segments that no chain
// covers.
func (v *verifier) findGaps(p *pair, trail string, segs []segment) {
	slices.SortFunc(segs, func(a, b segment) int {
		return cmp.Or(a.oldest.d.StartTime.Compare(b.oldest.d.StartTime), a.newest.d.EndTime.Compare(b.newest.d.EndTime))
	})
	var covered time.Time // the latest digestEndTime of the segments so far
	for i, s := range segs {
		start := s.oldest.d.StartTime
		if s.start == chainStarted || s.start == chainBroken {
			prevEnd, found := covered, i > 0
			if !found {
				prevEnd, found = p.lastBefore(trail, start)
			}
			detail := s.detail
			if s.start == chainStarted {
				detail = "logging stopped; a new chain starts at " + s.oldest.key
			}
			switch {
			case found && start.After(prevEnd):
				v.addGap(p, trail, prevEnd, start, detail)
			case !found && s.start == chainBroken:
				v.addGap(p, trail, time.Time{}, start, detail)
			}
		}
		if s.newest.d.EndTime.After(covered) {
			covered = s.newest.d.EndTime
		}
	}
}

// lastBefore returns the latest time named by a digest of the trail that is
// on no walked chain and ends before t: the end of an older chain that was
// not read, or of an unreadable digest.
func (p *pair) lastBefore(trail string, t time.Time) (time.Time, bool) {
	var last time.Time
	found := false
	for key, loc := range p.listed {
		if loc.Trail == trail && !p.visited[key] && !loc.Time.IsZero() && loc.Time.Before(t) && (!found || loc.Time.After(last)) {
			last, found = loc.Time, true
		}
	}
	return last, found
}

// addGap records a gap that overlaps the window.
func (v *verifier) addGap(p *pair, trail string, start, end time.Time, detail string) {
	if !v.opts.Start.IsZero() && !end.After(v.opts.Start) || !v.opts.End.IsZero() && !start.Before(v.opts.End) {
		return
	}
	v.gaps = append(v.gaps, Gap{Account: p.account, Region: p.region, Trail: trail, Start: start, End: end, Detail: detail})
}
