package integrity

import (
	"strings"
	"time"
)

// location is what a key says about the object in CloudTrail's layout:
//
//	[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz
//	[prefix/]AWSLogs/[o-org/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>.json.gz
type location struct {
	Base    string // the key up to and including "<account>/"
	Account string
	Kind    Kind
	Region  string
	Trail   string    // digests: the trail name in the file name, when it has one
	Time    time.Time // the time in the file name; zero when it has none
	Day     time.Time // the YYYY/MM/DD folder; zero when there is none
}

// group names the account × region (and key prefix) a location belongs to.
func (l location) group() string { return l.Base + "\x00" + l.Region }

// parseKey reads a key in CloudTrail's layout. Any object under
// CloudTrail/<region>/ is a log file and any under CloudTrail-Digest/<region>/
// a digest, whatever its depth and name; the times are read where the name
// and folders follow the layout.
func parseKey(key string) (location, bool) {
	segs := strings.Split(key, "/")
	for j := 1; j+2 < len(segs); j++ {
		var kind Kind
		switch segs[j] {
		case "CloudTrail":
			kind = KindLog
		case "CloudTrail-Digest":
			kind = KindDigest
		default:
			continue
		}
		if !isAccountID(segs[j-1]) || segs[j+1] == "" || segs[len(segs)-1] == "" {
			continue
		}
		l := location{
			Base:    strings.Join(segs[:j], "/") + "/",
			Account: segs[j-1],
			Kind:    kind,
			Region:  segs[j+1],
		}
		if rest := segs[j+2:]; len(rest) == 4 {
			if d, err := time.Parse("2006/01/02", strings.Join(rest[:3], "/")); err == nil {
				l.Day = d
			}
		}
		name := strings.TrimSuffix(segs[len(segs)-1], ".json.gz")
		fields := strings.Split(name, "_")
		if kind == KindLog {
			// <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>
			if len(fields) == 5 && fields[1] == "CloudTrail" {
				l.Time, _ = time.Parse("20060102T1504Z", fields[3])
			}
		} else if n := len(fields); n >= 6 && fields[1] == "CloudTrail-Digest" {
			// <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>
			if t, err := time.Parse("20060102T150405Z", fields[n-1]); err == nil {
				l.Time = t
				l.Trail = strings.Join(fields[3:n-2], "_")
			}
		}
		return l, true
	}
	return location{}, false
}
