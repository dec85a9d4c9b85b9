package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// record holds the fields the tests look at.
type record struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type string `json:"type"`
	} `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AwsRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	EventID            string          `json:"eventID"`
	RecipientAccountID string          `json:"recipientAccountId"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	AdditionalData     json.RawMessage `json:"additionalEventData"`
}

type logFile struct {
	path    string // relative to the output directory
	records []record
}

func generate(t testing.TB, o Options) (Stats, string) {
	t.Helper()
	if o.Out == "" {
		o.Out = t.TempDir()
	}
	st, err := Generate(t.Context(), o)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", o, err)
	}
	return st, o.Out
}

func readDataset(t *testing.T, dir string) []logFile {
	t.Helper()
	var files []logFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var doc struct {
			Records *[]record `json:"Records"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		if doc.Records == nil {
			return errors.New("no Records array")
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, logFile{path: filepath.ToSlash(rel), records: *doc.Records})
		return nil
	})
	if err != nil {
		t.Fatalf("read dataset: %v", err)
	}
	return files
}

// hashDir hashes every file's relative path and content.
func hashDir(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(rel))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGenerateReproducible(t *testing.T) {
	base := Options{Events: 6_000, Seed: 42}
	_, a := generate(t, withWorkers(base, 1))
	_, b := generate(t, withWorkers(base, 4))
	if ha, hb := hashDir(t, a), hashDir(t, b); ha != hb {
		t.Errorf("same options, 1 and 4 workers: datasets differ (%s vs %s)", ha, hb)
	}
	other := base
	other.Seed = 43
	_, c := generate(t, other)
	if hashDir(t, a) == hashDir(t, c) {
		t.Error("seeds 42 and 43 gave the same dataset")
	}
}

func withWorkers(o Options, n int) Options { o.Workers = n; return o }

var fileNameRE = regexp.MustCompile(`^AWSLogs/([0-9]{12})/CloudTrail/([a-z]{2}(?:-[a-z]+)+-[0-9])/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{12})_CloudTrail_([a-z0-9-]+)_([0-9]{8})T([0-9]{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)

func TestGenerateLayout(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"default span", Options{Events: 10_000, Seed: 7, Accounts: []string{"111111111111", "222222222222"}}},
		{"dense: files split", Options{Events: 30_000, Seed: 8, Accounts: []string{"111111111111"}, Duration: 10 * time.Minute,
			Start: time.Date(2024, 12, 31, 23, 55, 0, 0, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkLayout(t, tc.o) })
	}
}

func checkLayout(t *testing.T, o Options) {
	n := o.Events
	st, dir := generate(t, o)
	files := readDataset(t, dir)
	if st.Files != len(files) {
		t.Errorf("Stats.Files = %d, found %d files", st.Files, len(files))
	}
	o.Out = dir
	d, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	start, end := d.Start, d.Start.Add(d.Duration)
	failures := 0
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		if failures++; failures == 20 {
			t.FailNow()
		}
	}
	seen := map[string]bool{}
	total, attacks, mixed := 0, 0, 0
	for _, f := range files {
		fileAttacks := 0
		m := fileNameRE.FindStringSubmatch(f.path)
		if m == nil {
			errorf("%s: path does not match CloudTrail's layout", f.path)
			continue
		}
		acct, region := m[1], m[2]
		if m[6] != acct || m[7] != region || m[8] != m[3]+m[4]+m[5] {
			errorf("%s: name disagrees with its directory", f.path)
		}
		if !slices.Contains(o.Accounts, acct) {
			errorf("%s: unknown account", f.path)
		}
		if c := len(f.records); c < 1 || c > maxRecords {
			errorf("%s: %d records, want 1..%d", f.path, c, maxRecords)
		}
		delivery, err := time.Parse("20060102T1504Z", m[8]+"T"+m[9]+"Z")
		if err != nil {
			errorf("%s: bad timestamp: %v", f.path, err)
		}
		prev := ""
		for i, r := range f.records {
			total++
			where := func() string { return f.path + "#" + itoa(i) }
			if r.EventVersion < "1.05" || r.EventVersion > "1.11" || r.EventSource == "" || r.EventName == "" ||
				r.UserIdentity.Type == "" || r.SourceIPAddress == "" {
				errorf("%s: missing or bad fields: %+v", where(), r)
			}
			ts, err := time.Parse(time.RFC3339, r.EventTime)
			if err != nil || !strings.HasSuffix(r.EventTime, "Z") || len(r.EventTime) != 20 {
				errorf("%s: eventTime %q is not RFC 3339 in UTC", where(), r.EventTime)
			}
			if ts.Before(start) || !ts.Before(end) {
				errorf("%s: eventTime %s outside [%s, %s)", where(), r.EventTime, start, end)
			}
			if ts.After(delivery) {
				errorf("%s: eventTime %s after the file's delivery %s", where(), r.EventTime, delivery)
			}
			if r.EventTime < prev {
				errorf("%s: eventTime %s before the previous record's %s", where(), r.EventTime, prev)
			}
			prev = r.EventTime
			if r.RecipientAccountID != acct {
				errorf("%s: recipientAccountId %s in account %s's file", where(), r.RecipientAccountID, acct)
			}
			if r.AwsRegion != region {
				errorf("%s: awsRegion %s in a %s file", where(), r.AwsRegion, region)
			}
			if !uuidRE.MatchString(r.EventID) || seen[r.EventID] {
				errorf("%s: eventID %q is not a fresh UUID", where(), r.EventID)
			}
			seen[r.EventID] = true
			if fromAttacker(r.SourceIPAddress) {
				fileAttacks++
			}
		}
		attacks += fileAttacks
		if fileAttacks > 0 && fileAttacks < len(f.records) {
			mixed++
		}
	}
	// Attack records (and only they) come from the attacker's addresses.
	if attacks != st.Attacks {
		t.Errorf("%d records from attacker addresses, Stats.Attacks = %d", attacks, st.Attacks)
	}
	if mixed == 0 {
		t.Error("no file mixes attack and benign records")
	}
	if total != n || st.Events != n {
		t.Errorf("found %d records, Stats.Events = %d, want %d", total, st.Events, n)
	}
}

func fromAttacker(ip string) bool {
	return strings.HasPrefix(ip, "198.51.100.") || strings.HasPrefix(ip, "2001:db8:")
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGenerateStats(t *testing.T) {
	tests := []struct {
		name             string
		o                Options
		minFiles         int
		minAtt, maxAtt   int
		scenariosAtLeast int
	}{
		{name: "demo", o: Options{Events: 2000, Seed: 1}, minFiles: 6, minAtt: 24, maxAtt: 120, scenariosAtLeast: 5},
		{name: "no attacks", o: Options{Events: 3000, Seed: 1, AttackRate: -1}, minFiles: 6},
		{name: "explicit rate", o: Options{Events: 10_000, Seed: 3, AttackRate: 0.05}, minFiles: 6, minAtt: 500, maxAtt: 560, scenariosAtLeast: 30},
		{name: "tiny", o: Options{Events: 20, Seed: 1}, minFiles: 1, maxAtt: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, dir := generate(t, tc.o)
			if st.Events != tc.o.Events {
				t.Errorf("Events = %d, want %d", st.Events, tc.o.Events)
			}
			if st.Files < tc.minFiles {
				t.Errorf("Files = %d, want at least %d", st.Files, tc.minFiles)
			}
			if st.Attacks < tc.minAtt || st.Attacks > tc.maxAtt {
				t.Errorf("Attacks = %d, want %d..%d", st.Attacks, tc.minAtt, tc.maxAtt)
			}
			sum := 0
			for _, n := range st.ByScenario {
				sum += n
			}
			if sum != st.Attacks {
				t.Errorf("ByScenario sums to %d, Attacks = %d", sum, st.Attacks)
			}
			if len(st.ByScenario) < tc.scenariosAtLeast {
				t.Errorf("%d scenarios played, want at least %d", len(st.ByScenario), tc.scenariosAtLeast)
			}
			var size int64
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					info, _ := d.Info()
					size += info.Size()
				}
				return err
			})
			if size != st.Bytes {
				t.Errorf("Bytes = %d, files hold %d", st.Bytes, size)
			}
		})
	}
}

// TestEveryScenario checks the plan of 50k-event datasets: Stats.ByScenario
// is the plan's, and TestGenerateLayout checks that planned attack records
// are the ones written.
func TestEveryScenario(t *testing.T) {
	for seed := range int64(20) {
		o, err := Options{Events: 50_000, Seed: seed, Out: "unused"}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		p := newPlan(&o, newWorld(o.Seed, o.Accounts, o.Regions))
		for _, name := range ScenarioNames() {
			if p.byScenario[name] == 0 {
				t.Errorf("seed %d: scenario %s missing from a 50k-event dataset", seed, name)
			}
		}
	}
}

// TestBenignMix checks the benign traffic's proportions, and that nothing in
// it looks like an attack.
func TestBenignMix(t *testing.T) {
	const n = 15_000
	_, dir := generate(t, Options{Events: n, Seed: 5, AttackRate: -1})
	types := map[string]int{}
	versions := map[string]bool{}
	failed, data := 0, 0
	byRegion := map[string]int{}
	for _, f := range readDataset(t, dir) {
		for _, r := range f.records {
			types[r.UserIdentity.Type]++
			versions[r.EventVersion] = true
			byRegion[r.AwsRegion]++
			if r.ErrorCode != "" {
				failed++
			}
			if r.EventSource == srcS3 && r.EventName == "GetObject" {
				data++
			}
			if r.UserIdentity.Type == "Root" {
				t.Errorf("benign root activity: %s", r.EventName)
			}
			if r.EventName == "ConsoleLogin" && !bytes.Contains(r.AdditionalData, []byte(`"MFAUsed":"Yes"`)) {
				t.Errorf("benign console login without MFA: %s", r.AdditionalData)
			}
			if bytes.Contains(r.RequestParameters, []byte("0.0.0.0/0")) {
				t.Errorf("benign %s opens to the world: %s", r.EventName, r.RequestParameters)
			}
			if fromAttacker(r.SourceIPAddress) {
				t.Errorf("benign %s from an attacker address %s", r.EventName, r.SourceIPAddress)
			}
		}
	}
	if rate := float64(failed) / n; rate < 0.03 || rate > 0.05 {
		t.Errorf("failed calls: %.1f%%, want 3–5%%", 100*rate)
	}
	for _, typ := range []string{"AssumedRole", "IAMUser", "AWSService", "WebIdentityUser", "AWSAccount"} {
		if types[typ] == 0 {
			t.Errorf("no %s identities", typ)
		}
	}
	if types["AssumedRole"] < n/2 {
		t.Errorf("AssumedRole: %d of %d, want most", types["AssumedRole"], n)
	}
	for _, v := range []string{"1.05", "1.08", "1.09", "1.10", "1.11"} {
		if !versions[v] {
			t.Errorf("no eventVersion %s", v)
		}
	}
	if data < n/20 {
		t.Errorf("only %d S3 GetObject data events", data)
	}
	if byRegion["us-east-1"] <= byRegion["eu-west-1"] || byRegion["eu-west-1"] <= byRegion["us-west-2"] {
		t.Errorf("regions by volume: %v, want us-east-1 > eu-west-1 > us-west-2", byRegion)
	}
}

func TestGenerateOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no events", Options{Out: "x"}, "events must be positive"},
		{"no output", Options{Events: 10}, "output directory"},
		{"bad account", Options{Events: 10, Out: "x", Accounts: []string{"12345"}}, "not 12 digits"},
		{"duplicate account", Options{Events: 10, Out: "x", Accounts: []string{"123456789012", "123456789012"}}, "distinct"},
		{"bad region", Options{Events: 10, Out: "x", Regions: []string{"mars-1"}}, "not a region"},
		{"attack rate", Options{Events: 10, Out: "x", AttackRate: 2}, "attack rate"},
		{"short", Options{Events: 10, Out: "x", Duration: time.Minute}, "at least 10m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(t.Context(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestGenerateCustomRegions(t *testing.T) {
	st, dir := generate(t, Options{Events: 4000, Seed: 9, Regions: []string{"eu-central-1", "eu-west-1"},
		Start: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Duration: 6 * time.Hour, AttackRate: 0.05})
	regions := map[string]int{}
	for _, f := range readDataset(t, dir) {
		for _, r := range f.records {
			regions[r.AwsRegion]++
		}
	}
	if regions["eu-central-1"] == 0 || regions["eu-west-1"] == 0 {
		t.Errorf("regions: %v", regions)
	}
	if st.Events != 4000 {
		t.Errorf("Events = %d", st.Events)
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Generate(ctx, Options{Events: 5000, Out: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context: %v, want context.Canceled", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run("workers="+itoa(workers), func(b *testing.B) {
			const n = 100_000
			dir := b.TempDir()
			var bytes int64
			b.ReportAllocs()
			for b.Loop() {
				st, err := Generate(context.Background(), Options{Events: n, Seed: 1, Out: dir, Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				bytes = st.Bytes
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/n, "gzbytes/event")
		})
	}
}

// BenchmarkRecords measures record generation alone: no compression, no I/O.
func BenchmarkRecords(b *testing.B) {
	o, _ := Options{Events: 100_000, Seed: 1, Out: "unused"}.withDefaults()
	w := newWorld(o.Seed, o.Accounts, o.Regions)
	p := newPlan(&o, w)
	wr := newWriter(p, w, o.Out)
	g := &wr.g
	g.acct, g.reg, g.region, g.tbl = w.accounts[0], w.accounts[0].regs[0], w.regions[0], tables()[1]
	g.r.seed(1, streamFile)
	t := p.start
	var buf []byte
	size := 0
	b.ReportAllocs()
	for b.Loop() {
		buf = g.benign(buf[:0], t)
		size += len(buf)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size)/float64(b.N), "bytes/event")
}
