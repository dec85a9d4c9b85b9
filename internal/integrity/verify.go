package integrity

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options says what Verify checks.
type Options struct {
	// Prefix is the key prefix to list ("AWSLogs/", "org/AWSLogs/",
	// "AWSLogs/o-abc/111122223333/"); empty lists everything.
	Prefix string
	// Account and Region, when set, restrict the verification to them.
	Account string
	Region  string
	// Start and End bound digestEndTime (inclusive); zero is unbounded.
	// Log files are in range from Start minus one digest period (the hour
	// the first digest covers) to End.
	Start, End time.Time
	// Bucket is the bucket the Objects are (or the folder stands for). A
	// digest whose digestS3Bucket differs has been moved. When empty, each
	// digest's own digestS3Bucket is taken as where it was found.
	Bucket string
	// PublicKeys, when set and Verify is given no keys, is called once
	// after the listing with the regions whose digests are read and the
	// span of their times (from their names): CloudTrail signs with a key
	// per region, fetched with ListPublicKeys.
	PublicKeys func(ctx context.Context, regions []string, start, end time.Time) (*KeySet, error)
	// Workers bounds the files read at the same time (default 8).
	Workers int
	// Logger receives progress at debug level (default: none).
	Logger *slog.Logger
}

const (
	// digestPeriod is the span one digest covers.
	digestPeriod = time.Hour
	// loadPad widens the window in which digests are read, so that the log
	// files near the window's ends are found listed, and the chain links
	// across its ends are followed.
	loadPad = 2 * time.Hour
)

// Verify validates CloudTrail's log file integrity under opts.Prefix, as
// `aws cloudtrail validate-logs` does, and more: each account × region
// (and trail) is verified on its own, in parallel, and the report is in a
// deterministic order.
//
// For every digest in range it checks the signature with keys, that it sits
// at its own key, and its account; it follows each chain from its newest
// digest back through previousDigestS3Object, checking the previous
// digest's hash and signature, and reports missing digests and the gaps
// between chains. It hashes every log file the digests list (streaming,
// gunzip + SHA-256) and reports the log files present in range that no
// digest lists.
//
// A file that cannot be read or parsed gets a verdict and the rest is still
// verified. Verify returns an error only when the listing fails, there are
// no keys (keys nil and no opts.PublicKeys, or its error), or ctx is done.
func Verify(ctx context.Context, objs Objects, keys *KeySet, opts Options) (*Report, error) {
	began := time.Now()
	if keys == nil && opts.PublicKeys == nil {
		return nil, errors.New("verify: no public keys")
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	v := &verifier{objs: objs, keys: keys, opts: opts, log: opts.Logger.With("component", "integrity"),
		pairs: map[string]*pair{}, entries: map[entryKey]*FileResult{}, problem: map[string]bool{}}
	if err := v.list(ctx); err != nil {
		return nil, fmt.Errorf("verify: list %q: %w", opts.Prefix, err)
	}
	pairs := make([]*pair, 0, len(v.pairs))
	for _, p := range v.pairs {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b *pair) int {
		return cmp.Or(strings.Compare(a.base, b.base), strings.Compare(a.region, b.region))
	})

	// Read, parse and check every digest (in parallel across pairs).
	var loads []*loadedDigest
	for _, p := range pairs {
		loads = append(loads, p.loaded...)
	}
	if keys == nil {
		var err error
		if v.keys, err = fetchKeys(ctx, loads, opts.PublicKeys); err != nil {
			return nil, fmt.Errorf("verify: public keys: %w", err)
		}
	}
	if err := forEach(ctx, opts.Workers, len(loads), func(i int) { v.load(ctx, loads[i]) }); err != nil {
		return nil, err
	}

	// Follow the chains and collect the log files each digest lists.
	var toHash []*logFile
	for _, p := range pairs {
		v.analyse(p)
		toHash = append(toHash, p.hashList()...)
	}

	// Hash the listed log files (in parallel across pairs).
	var hashed, hashedBytes, readBytes atomic.Int64
	if err := forEach(ctx, opts.Workers, len(toHash), func(i int) {
		f := toHash[i]
		f.hash = hashLog(ctx, objs, f.key)
		if f.hash.read > 0 {
			hashed.Add(1)
			hashedBytes.Add(f.hash.size)
			readBytes.Add(f.hash.read)
		}
	}); err != nil {
		return nil, err
	}
	for _, p := range pairs {
		v.logVerdicts(p)
		v.log.Debug("Verified digests and log files", "account", p.account, "region", p.region,
			"prefix", p.base, "digests", len(p.loaded), "log_files", len(p.files))
	}

	r := v.report()
	r.HashedFiles = int(hashed.Load())
	r.HashedBytes = hashedBytes.Load()
	r.ReadBytes = readBytes.Load()
	r.Elapsed = time.Since(began)
	return r, nil
}

// verifier holds one Verify call's state. Pairs are filled by list and load;
// analyse, logVerdicts and the entries run on one goroutine.
type verifier struct {
	objs    Objects
	keys    *KeySet
	opts    Options
	log     *slog.Logger
	pairs   map[string]*pair
	entries map[entryKey]*FileResult
	problem map[string]bool // keys with a verdict other than valid
	gaps    []Gap
}

// pair is one account × region under one key prefix.
type pair struct {
	account, region, base string
	listed                map[string]location // every digest listed, by key
	loaded                []*loadedDigest     // the digests read: those in the padded window
	present               []string            // log files listed whose time is in range
	files                 map[string]*logFile // log files listed by the loaded digests
	visited               map[string]bool     // digests on a walked chain
}

// loadedDigest is one digest file read.
type loadedDigest struct {
	key      string
	loc      location
	hash     string  // hex SHA-256 of the uncompressed file; "" when unreadable
	d        *Digest // nil when err != nil
	err      error
	placed   bool // at its own key and bucket
	sig      string
	verdict  Verdict // of the signature: Valid, NoSignature, UnknownKey, BadSignature, Unreadable
	detail   string
	modified bool // the next digest's previousDigestHashValue does not match
	inWindow bool
}

// trusted reports whether what the digest says (its log files' hashes, the
// previous digest's hash) can be relied on.
func (ld *loadedDigest) trusted(account string) bool {
	return ld.d != nil && ld.placed && ld.verdict == Valid && !ld.modified && ld.d.AccountID == account
}

// logFile is one log file listed by loaded digests.
type logFile struct {
	key    string
	claims []claim
	hash   logHash
	hashed bool
}

type claim struct {
	digest *loadedDigest
	hash   string
}

type entryKey struct {
	key     string
	verdict Verdict
}

// list lists the objects once, sorting them into pairs: every digest, and
// the log files whose time is in range.
func (v *verifier) list(ctx context.Context) error {
	return v.objs.List(ctx, v.opts.Prefix, func(o ObjectInfo) error {
		loc, ok := parseKey(o.Key)
		if !ok || (v.opts.Account != "" && loc.Account != v.opts.Account) || (v.opts.Region != "" && loc.Region != v.opts.Region) {
			return nil
		}
		p := v.pairs[loc.group()]
		if p == nil {
			p = &pair{account: loc.Account, region: loc.Region, base: loc.Base,
				listed: map[string]location{}, files: map[string]*logFile{}, visited: map[string]bool{}}
			v.pairs[loc.group()] = p
		}
		switch loc.Kind {
		case KindDigest:
			p.listed[o.Key] = loc
			if v.overlaps(loc, v.opts.Start.Add(-loadPad), v.opts.End.Add(loadPad)) {
				p.loaded = append(p.loaded, &loadedDigest{key: o.Key, loc: loc})
			}
		case KindLog:
			if v.overlaps(loc, v.opts.Start.Add(-digestPeriod), v.opts.End) {
				p.present = append(p.present, o.Key)
			}
		}
		return nil
	})
}

// overlaps reports whether the time a key's name (or else its day folder)
// gives is within [from, to], each bound applying only when the window's is
// set. A key with no time is always within.
func (v *verifier) overlaps(loc location, from, to time.Time) bool {
	lo, hi := loc.Time, loc.Time
	if lo.IsZero() {
		if loc.Day.IsZero() {
			return true
		}
		lo, hi = loc.Day, loc.Day.Add(24*time.Hour)
	}
	return (v.opts.Start.IsZero() || !hi.Before(from)) && (v.opts.End.IsZero() || !lo.After(to))
}

// within reports whether t is in the digestEndTime window.
func (v *verifier) within(t time.Time) bool {
	return (v.opts.Start.IsZero() || !t.Before(v.opts.Start)) && (v.opts.End.IsZero() || !t.After(v.opts.End))
}

// load reads, parses and checks the signature of one digest.
func (v *verifier) load(ctx context.Context, ld *loadedDigest) {
	defer func() {
		if ld.d != nil {
			ld.inWindow = v.within(ld.d.EndTime)
		} else {
			ld.inWindow = v.overlaps(ld.loc, v.opts.Start, v.opts.End)
		}
	}()
	raw, err := readDigestFile(ctx, v.objs, ld.key)
	if err != nil {
		ld.err = err
		return
	}
	sum := sha256.Sum256(raw)
	ld.hash = hex.EncodeToString(sum[:])
	if ld.d, ld.err = ParseDigest(raw); ld.err != nil {
		return
	}
	d := ld.d
	ld.placed = d.S3Object == ld.key && (v.opts.Bucket == "" || d.S3Bucket == v.opts.Bucket)
	if !ld.placed {
		return
	}
	ld.verdict, ld.detail = v.checkSignature(ctx, ld)
}

// checkSignature verifies a digest's signature.
func (v *verifier) checkSignature(ctx context.Context, ld *loadedDigest) (Verdict, string) {
	d := ld.d
	sig, err := v.objs.Signature(ctx, ld.key)
	switch {
	case errors.Is(err, ErrNoSignature):
		return NoSignature, "no signature (S3 metadata x-amz-meta-signature or .sig sidecar)"
	case err != nil:
		return Unreadable, fmt.Sprintf("read signature: %v", err)
	}
	ld.sig = sig
	pk, ok := v.keys.Lookup(d.PublicKeyFingerprint)
	if !ok {
		return UnknownKey, fmt.Sprintf("signed with key %s, not among the %d public keys", d.PublicKeyFingerprint, v.keys.Len())
	}
	raw, err := hex.DecodeString(sig)
	if err != nil {
		return BadSignature, "signature is not hex"
	}
	h := sha256.Sum256([]byte(d.SigningString(ld.hash)))
	if err := rsa.VerifyPKCS1v15(pk.Key, crypto.SHA256, h[:], raw); err != nil {
		return BadSignature, fmt.Sprintf("signature does not verify with key %s", d.PublicKeyFingerprint)
	}
	return Valid, ""
}

// hashList returns the log files to hash: those listed by a digest in range.
func (p *pair) hashList() []*logFile {
	var out []*logFile
	for _, f := range p.files {
		if slices.ContainsFunc(f.claims, func(c claim) bool { return c.digest.inWindow }) {
			f.hashed = true
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *logFile) int { return strings.Compare(a.key, b.key) })
	return out
}

// logVerdicts judges the hashed log files and the present ones no digest
// lists.
func (v *verifier) logVerdicts(p *pair) {
	for _, f := range p.files {
		if f.hashed {
			verdict, detail := p.judge(f)
			v.add(p, f.key, KindLog, verdict, detail)
		}
	}
	for _, key := range p.present {
		if p.files[key] == nil {
			v.add(p, key, KindLog, NotListed, "present but listed in no digest")
		}
	}
}

// judge compares a log file's hash with what its digests list.
func (p *pair) judge(f *logFile) (Verdict, string) {
	var trusted, untrusted []claim
	for _, c := range f.claims {
		if c.digest.trusted(p.account) {
			trusted = append(trusted, c)
		} else {
			untrusted = append(untrusted, c)
		}
	}
	listedIn := f.claims[0].digest.key
	var ce *contentError
	switch {
	case errors.Is(f.hash.err, fs.ErrNotExist):
		return Deleted, "listed in " + listedIn
	case errors.As(f.hash.err, &ce):
		if len(trusted) == 0 {
			return Unverified, fmt.Sprintf("%v; listed only in digests that do not verify (%s)", ce, listedIn)
		}
		return Modified, fmt.Sprintf("%v (listed in %s)", ce, trusted[0].digest.key)
	case f.hash.err != nil:
		return Unreadable, f.hash.err.Error()
	}
	got := hex.EncodeToString(f.hash.sum[:])
	if len(trusted) == 0 {
		match := "matches"
		if !strings.EqualFold(got, untrusted[0].hash) {
			match = "does not match"
		}
		return Unverified, fmt.Sprintf("SHA-256 %s what %s lists, but that digest does not verify", match, listedIn)
	}
	for _, c := range trusted {
		if !strings.EqualFold(got, c.hash) {
			return Modified, fmt.Sprintf("SHA-256 %s, but %s lists %s", got, c.digest.key, strings.ToLower(c.hash))
		}
	}
	return Valid, ""
}

// add records a verdict on a file; a second detail for the same file and
// verdict is appended to the first.
func (v *verifier) add(p *pair, key string, kind Kind, verdict Verdict, detail string) {
	k := entryKey{key, verdict}
	if verdict != Valid {
		v.problem[key] = true
	}
	if e := v.entries[k]; e != nil {
		if detail != "" && !strings.Contains(e.Detail, detail) {
			e.Detail = strings.TrimPrefix(e.Detail+"; "+detail, "; ")
		}
		return
	}
	v.entries[k] = &FileResult{Key: key, Kind: kind, Account: p.account, Region: p.region, Verdict: verdict, Detail: detail}
}

// report assembles the Report in its deterministic order.
func (v *verifier) report() *Report {
	r := &Report{Start: v.opts.Start, End: v.opts.End, Files: make([]FileResult, 0, len(v.entries)),
		Gaps: v.gaps, Counts: map[Verdict]int{}}
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}
	seen := map[string]bool{}
	for k, e := range v.entries {
		if k.verdict == Valid && v.problem[k.key] {
			continue // a file with a problem is not also valid
		}
		r.Files = append(r.Files, *e)
		r.Counts[e.Verdict]++
		if !seen[e.Key] && e.Verdict != DigestMissing {
			seen[e.Key] = true
			if e.Kind == KindDigest {
				r.Digests++
			} else {
				r.LogFiles++
			}
		}
	}
	slices.SortFunc(r.Files, func(a, b FileResult) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(string(a.Verdict), string(b.Verdict)))
	})
	slices.SortFunc(r.Gaps, func(a, b Gap) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(a.Region, b.Region),
			strings.Compare(a.Trail, b.Trail), a.Start.Compare(b.Start), a.End.Compare(b.End))
	})
	return r
}

// fetchKeys asks fetch for the keys of the regions and times of the
// digests to read.
func fetchKeys(ctx context.Context, loads []*loadedDigest, fetch func(context.Context, []string, time.Time, time.Time) (*KeySet, error)) (*KeySet, error) {
	if len(loads) == 0 {
		return NewKeySet(), nil
	}
	var regions []string
	var start, end time.Time
	for _, ld := range loads {
		if !slices.Contains(regions, ld.loc.Region) {
			regions = append(regions, ld.loc.Region)
		}
		if t := ld.loc.Time; !t.IsZero() {
			if start.IsZero() || t.Before(start) {
				start = t
			}
			if t.After(end) {
				end = t
			}
		}
	}
	slices.Sort(regions)
	if !start.IsZero() {
		start, end = start.Add(-digestPeriod), end.Add(digestPeriod)
	}
	keys, err := fetch(ctx, regions, start, end)
	if err == nil && keys == nil {
		keys = NewKeySet()
	}
	return keys, err
}

// forEach calls fn(0) … fn(n-1) on at most workers goroutines, and returns
// ctx's error if it is done.
func forEach(ctx context.Context, workers, n int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// describe says why a digest could not be read, and with which verdict.
func describe(err error) (Verdict, string) {
	var ce *contentError
	var de *DigestError
	switch {
	case errors.As(err, &ce), errors.As(err, &de):
		return Corrupt, err.Error()
	case errors.Is(err, fs.ErrNotExist):
		return Unreadable, "listed, then gone: " + err.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Corrupt, err.Error()
	}
	return Unreadable, err.Error()
}
