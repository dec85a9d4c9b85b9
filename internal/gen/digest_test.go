package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/integrity"
)

// TestDigestsVerify: a generated trail with digests verifies as CloudTrail's
// would, every log file and digest valid and no gap; and removing a log file
// is caught.
func TestDigestsVerify(t *testing.T) {
	dir := t.TempDir()
	st, err := gen.Generate(context.Background(), gen.Options{Events: 20000, Seed: 4, Out: dir, Digests: true})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := os.Open(filepath.Join(dir, gen.DemoKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	keys, err := integrity.LoadPublicKeys(kf)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := integrity.Verify(context.Background(), integrity.NewFolder(dir), keys, integrity.Options{Prefix: "AWSLogs/"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Digests != st.Digests || rep.LogFiles != st.Files {
		t.Fatalf("report: ok=%v digests %d/%d logs %d/%d problems %+v gaps %+v", rep.OK(), rep.Digests, st.Digests, rep.LogFiles, st.Files, rep.Problems(), rep.Gaps)
	}
	// Delete one log file: the digest that lists it says so.
	logs, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if len(logs) == 0 {
		t.Fatal("no log files")
	}
	if err := os.Remove(logs[0]); err != nil {
		t.Fatal(err)
	}
	rep, err = integrity.Verify(context.Background(), integrity.NewFolder(dir), keys, integrity.Options{Prefix: "AWSLogs/"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Counts[integrity.Deleted] != 1 {
		t.Fatalf("after deleting a log file: counts %v", rep.Counts)
	}
}
