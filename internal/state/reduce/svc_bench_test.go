package reduce

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/event"
)

// handledEvents keeps a copy of every corpus event a reducer handles.
type handledEvents struct{ es []*event.Event }

func (h *handledEvents) Event(_ context.Context, e *event.Event) error {
	if Handles(e) {
		h.es = append(h.es, e.Clone())
	}
	return nil
}

func (h *handledEvents) Reject(_ context.Context, err *decode.RecordError) error { return err }

// BenchmarkReduceCorpus reduces the corpus events that have a reducer
// (S3, IAM, EC2, Lambda, CloudTrail, RDS).
func BenchmarkReduceCorpus(b *testing.B) {
	files, _ := filepath.Glob("../../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		b.Fatal("shared corpus not found at ../shared/corpora")
	}
	h := &handledEvents{}
	d := decode.New(decode.Options{})
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		_, err = d.Decode(context.Background(), f, fh, h)
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, e := range h.es {
			if _, err := Reduce(e); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
