package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/config"
	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/store"
)

// deliverFindings keeps reconcile's findings as scan keeps its own: stored
// in the findings store with an outbox (a finding already stored is not
// sent again), then sent to the outputs of the config other than stdout
// (stdout carries the report, which lists them). Without such outputs they
// count as delivered by the report. It returns how many were new.
func deliverFindings(ctx context.Context, g *Globals, cfg *config.Config, st *store.SQLite, fs []finding.Finding) (int, error) {
	if len(fs) == 0 {
		return 0, nil
	}
	path := st.Path()
	dlPath := cfg.DeadLetter
	if dlPath == "" {
		dlPath = filepath.Join(filepath.Dir(path), "deadletter.jsonl")
	}
	ptrs := make([]*finding.Finding, len(fs))
	for i := range fs {
		ptrs[i] = &fs[i]
	}
	fresh, err := st.AddFindings(ctx, ptrs)
	if err != nil {
		// the revisions are recorded: a second run would not make these
		// findings again; keep them for deadletter replay
		return 0, errors.Join(err, keepInDeadLetter(dlPath, ptrs, err))
	}
	var cfgs []output.Config
	for _, oc := range cfg.Outputs {
		if oc.Type != "stdout" {
			cfgs = append(cfgs, oc)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(fresh))
	if len(cfgs) == 0 {
		for _, f := range fresh {
			ids = append(ids, f.ID)
		}
		return len(fresh), st.MarkDelivered(ctx, ids)
	}
	routes, err := output.Build(cfgs, g.stdout, Version)
	if err != nil {
		return 0, err // they wait in the outbox; the next scan sends them
	}
	dl, err := deadletter.Open(dlPath)
	if err != nil {
		return 0, err
	}
	defer dl.Close()
	var mu sync.Mutex
	disp := output.NewDispatcher(routes, dl, nil, output.DispatchOptions{OnDone: func(f *finding.Finding) {
		mu.Lock()
		ids = append(ids, f.ID)
		mu.Unlock()
	}})
	dispErr := disp.Dispatch(ctx, fresh)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	stats, closeErr := disp.Close(closeCtx)
	if err := st.MarkDelivered(closeCtx, ids); err != nil {
		return len(fresh), err
	}
	for _, r := range stats.Routes {
		if r.DeadLettered > 0 {
			fmt.Fprintf(g.stderr, "trailwarden: output %s: %d findings dead-lettered to %s\n", r.Output, r.DeadLettered, dlPath)
		}
	}
	if dispErr != nil {
		return len(fresh), dispErr
	}
	return len(fresh), closeErr
}

// keepInDeadLetter writes findings that could not be stored to the
// dead-letter file at path.
func keepInDeadLetter(path string, fs []*finding.Finding, cause error) error {
	dl, err := deadletter.Open(path)
	if err != nil {
		return err
	}
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, f := range fs {
		errs = append(errs, dl.Write(ctx, deadletter.Entry{Time: time.Now().UTC(), Kind: deadletter.KindFinding,
			Error: "not stored: " + cause.Error(), Origin: f.Origin, Index: -1, Finding: f}))
	}
	return errors.Join(errs...)
}
