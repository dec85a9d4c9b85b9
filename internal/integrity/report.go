package integrity

import (
	"time"
)

// Verdict is what Verify concluded about one file.
type Verdict string

// Verdicts. Every file in range gets at least one entry; a file is sound only
// when its one entry is Valid.
const (
	// Valid: a log file whose SHA-256 matches a digest with a valid signature,
	// or a digest whose signature is valid, at its own key.
	Valid Verdict = "valid"
	// Modified: a log file whose content (uncompressed SHA-256, or its gzip)
	// differs from what its digest lists, or a digest whose hash differs from
	// the one the next digest of the chain records.
	Modified Verdict = "modified"
	// Deleted: a log file listed in a digest but missing.
	Deleted Verdict = "deleted"
	// NotListed: a log file present in range but listed in no digest
	// (injected, or listed only by a digest that is missing or unreadable).
	NotListed Verdict = "not_listed"
	// Unverified: a log file listed only by digests whose signature could not
	// be verified; its hash proves nothing.
	Unverified Verdict = "unverified"
	// DigestMissing: a digest the chain points to (previousDigestS3Object)
	// is missing.
	DigestMissing Verdict = "digest_missing"
	// DigestMoved: a digest found at a key (or in a bucket) other than its
	// own digestS3Object (digestS3Bucket): a copy, or a file moved away.
	DigestMoved Verdict = "digest_moved"
	// UnknownKey: the digest names a public key that is not in the key set.
	UnknownKey Verdict = "unknown_key"
	// BadSignature: the digest's signature does not verify.
	BadSignature Verdict = "bad_signature"
	// NoSignature: the digest has no signature (S3 metadata or .sig sidecar).
	NoSignature Verdict = "no_signature"
	// WrongAccount: a digest of another account than its folder's, or one
	// listing a log file of another account, region, trail folder or bucket.
	WrongAccount Verdict = "wrong_account"
	// Corrupt: a digest that cannot be read as one (corrupt gzip, not JSON,
	// a required field missing or malformed).
	Corrupt Verdict = "corrupt"
	// Unreadable: the file could not be read (an I/O error, not its content).
	Unreadable Verdict = "unreadable"
)

// Verdicts returns every verdict, valid first, then the log file verdicts,
// then the digest ones: the order summaries use.
func Verdicts() []Verdict {
	return []Verdict{Valid, Modified, Deleted, NotListed, Unverified, DigestMissing, DigestMoved,
		UnknownKey, BadSignature, NoSignature, WrongAccount, Corrupt, Unreadable}
}

// Kind says whether a file is a log file or a digest.
type Kind string

// Kinds of file.
const (
	KindLog    Kind = "log"
	KindDigest Kind = "digest"
)

// FileResult is one verdict on one file. A file with several problems has
// one FileResult per problem.
type FileResult struct {
	Key     string  `json:"key"`
	Kind    Kind    `json:"kind"`
	Account string  `json:"account"`
	Region  string  `json:"region"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail,omitempty"`
}

// Gap is a span no digest chain covers: from the last digestEndTime of one
// chain to the digestStartTime of the next (logging stopped, or a digest is
// missing or unreadable). Start is zero when no earlier digest exists.
type Gap struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Trail   string    `json:"trail,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end"`
	Detail  string    `json:"detail,omitempty"`
}

// Report is the outcome of Verify. Files are sorted by key, then verdict;
// gaps by account, region, trail and start.
type Report struct {
	Start  time.Time       `json:"start,omitzero"` // the digestEndTime window, as asked
	End    time.Time       `json:"end,omitzero"`
	Files  []FileResult    `json:"files"`
	Gaps   []Gap           `json:"gaps"`
	Counts map[Verdict]int `json:"counts"`
	// Digests and LogFiles count the distinct files in range.
	Digests  int `json:"digests"`
	LogFiles int `json:"log_files"`
	// HashedFiles log files were hashed: HashedBytes uncompressed, read from
	// ReadBytes of gzip.
	HashedFiles int           `json:"hashed_files"`
	HashedBytes int64         `json:"hashed_bytes"`
	ReadBytes   int64         `json:"read_bytes"`
	Elapsed     time.Duration `json:"elapsed_ns"`
}

// OK reports whether everything in range verified: at least one digest, every
// file valid, no gap.
func (r *Report) OK() bool {
	if r.Digests == 0 || len(r.Gaps) > 0 {
		return false
	}
	for _, f := range r.Files {
		if f.Verdict != Valid {
			return false
		}
	}
	return true
}

// Problems returns the entries whose verdict is not Valid, in report order.
func (r *Report) Problems() []FileResult {
	var out []FileResult
	for _, f := range r.Files {
		if f.Verdict != Valid {
			out = append(out, f)
		}
	}
	return out
}
