package gen

import (
	"cmp"
	"math"
	"slices"
)

// maxRecords is the most records a file holds.
const maxRecords = 5000

// stream is one account's trail in one region: a sequence of files.
type stream struct {
	acct   int
	region string
	reg    *regional // nil in a region the organisation does not use
	weight float64   // share of the benign traffic; 0 for attack-only streams
}

// fileSpec is everything needed to write one file, independently of the
// others.
type fileSpec struct {
	index    int // position in plan.files; also the file's RNG stream
	stream   int
	from, to int64 // its records' times are in [from, to)
	delivery int64 // the file's timestamp
	benign   int
	attacks  []int32 // instances with records in this file
}

// instance is one run of a scenario.
type instance struct {
	sc   *scenario
	acct int
	home string
	t0   int64
	n    int // records it emits
}

// plan splits the dataset into files before any is written. It holds no
// records: each file is generated from its spec alone.
type plan struct {
	seed       int64
	start, end int64
	interval   int64 // delivery window
	streams    []stream
	files      []fileSpec
	instances  []instance
	attacks    int
	byScenario map[string]int
}

// arec locates one attack record while planning.
type arec struct {
	stream int
	inst   int32
	t      int64
}

func newPlan(o *Options, w *world) *plan {
	r := newRNG(o.Seed, streamPlan)
	p := &plan{seed: o.Seed, start: o.Start.Unix(), end: o.Start.Add(o.Duration).Unix(), byScenario: map[string]int{}}
	aw := shares(len(w.accounts), 1)
	rw := shares(len(w.regions), 0.8)
	for i, reg := range w.regions {
		if reg == "us-east-1" {
			rw[i] *= 1.6 // global services are logged here
		}
	}
	for ai, a := range w.accounts {
		for ri, reg := range w.regions {
			p.streams = append(p.streams, stream{acct: ai, region: reg, reg: a.regs[ri], weight: aw[ai] * rw[ri]})
		}
	}
	recs := p.planAttacks(o, w, r, aw, rw)
	p.interval = deliveryInterval(o.Events, len(p.streams), p.end-p.start)
	p.planFiles(o.Events-p.attacks, r, recs)
	return p
}

// shares returns n weights decreasing as 1/(i+1)^k, summing to 1.
func shares(n int, k float64) []float64 {
	ws := make([]float64, n)
	sum := 0.0
	for i := range ws {
		ws[i] = 1 / math.Pow(float64(i+1), k)
		sum += ws[i]
	}
	for i := range ws {
		ws[i] /= sum
	}
	return ws
}

// deliveryInterval picks how much time one file covers: about 2,000
// records for large datasets, fewer (so several files) for small ones; a
// multiple of 5 minutes, at most an hour.
func deliveryInterval(events, streams int, span int64) int64 {
	target := min(max(float64(events)/25, 25), 2000)
	d := int64(target * float64(streams) * float64(span) / float64(max(events, 1)))
	d = (d + 299) / 300 * 300
	return min(max(d, 300), 3600)
}

// attackBudget is how many attack records to aim for.
func attackBudget(o *Options) int {
	switch {
	case o.AttackRate < 0:
		return 0
	case o.AttackRate > 0:
		return int(math.Round(o.AttackRate * float64(o.Events)))
	}
	// Several dozen in a 2,000-event demo, thousands in a million.
	return int(math.Round(60 * math.Pow(float64(o.Events)/2000, 0.7)))
}

// planAttacks schedules scenario instances until the budget is spent. The
// first round plays every scenario once (the classics first), so any
// dataset large enough holds all of them.
func (p *plan) planAttacks(o *Options, w *world, r *rng, aw, rw []float64) []arec {
	budget := min(attackBudget(o), o.Events)
	if budget == 0 {
		return nil
	}
	// An instance may overshoot the budget a little, not double it.
	limit := min(budget+budget/4+3, o.Events)
	var head, rest []*scenario
	for _, s := range scenarios() {
		if s.headline {
			head = append(head, s)
		} else {
			rest = append(rest, s)
		}
	}
	shuffle(r, head)
	shuffle(r, rest)
	order := append(head, rest...)
	acum, rcum := cumulative(aw), cumulative(rw)
	span := p.end - p.start
	phase := r.float()
	var recs []arec
	var pending []struct {
		region string
		t      int64
	}
	collect := func(region string, t int64, _ []byte) {
		pending = append(pending, struct {
			region string
			t      int64
		}{region, t})
	}
	skipped := 0
	for k := 0; p.attacks < budget && skipped < len(order); k++ {
		sc := order[k%len(order)]
		ai := r.weighted(acum)
		home := w.regions[r.weighted(rcum)]
		var t0 int64
		if sc.offHours {
			t0 = offHoursStart(p.start, p.end, r)
		} else {
			t0 = p.start + int64(math.Mod(phase+float64(k)*0.6180339887, 1)*float64(span))
		}
		run := func(t0 int64) {
			pending = pending[:0]
			newAttack(w, p.seed, len(p.instances), w.accounts[ai], home, t0, collect).run(sc)
		}
		run(t0)
		first, last := pending[0].t, pending[len(pending)-1].t
		if last-first >= span || p.attacks+len(pending) > limit {
			skipped++
			continue
		}
		// Keep the whole instance inside the span.
		if shift := last - (p.end - 1); shift > 0 {
			t0 -= shift
			run(t0)
		} else if shift := p.start - first; shift > 0 {
			t0 += shift
			run(t0)
		}
		skipped = 0
		idx := int32(len(p.instances))
		p.instances = append(p.instances, instance{sc: sc, acct: ai, home: home, t0: t0, n: len(pending)})
		for _, pr := range pending {
			recs = append(recs, arec{stream: p.streamOf(ai, pr.region, w), inst: idx, t: pr.t})
		}
		p.attacks += len(pending)
		p.byScenario[sc.name] += len(pending)
	}
	return recs
}

// offHoursStart picks a time outside business hours: 02:00–04:00 UTC on a
// Sunday if the span has one, else another night, else any time.
func offHoursStart(start, end int64, r *rng) int64 {
	var sundays, nights [][2]int64
	for d := start / day; d*day < end; d++ {
		lo, hi := max(d*day, start), min(d*day+5*hour, end-600)
		if lo >= hi {
			continue
		}
		if (d+4)%7 == 0 {
			if l, h := max(d*day+2*hour, start), min(d*day+4*hour, end-600); l < h {
				sundays = append(sundays, [2]int64{l, h})
			}
		}
		nights = append(nights, [2]int64{lo, hi})
	}
	pickIn := func(ws [][2]int64) int64 {
		w := ws[r.intn(len(ws))]
		return w[0] + int64(r.intn(int(w[1]-w[0])))
	}
	switch {
	case len(sundays) > 0:
		return pickIn(sundays)
	case len(nights) > 0:
		return pickIn(nights)
	}
	return start + int64(r.intn(int(max(end-start-600, 1))))
}

func shuffle[T any](r *rng, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// streamOf returns the stream of account ai in region, adding an
// attack-only one for a region the organisation does not use.
func (p *plan) streamOf(ai int, region string, w *world) int {
	for i, s := range p.streams {
		if s.acct == ai && s.region == region {
			return i
		}
	}
	p.streams = append(p.streams, stream{acct: ai, region: region, reg: w.accounts[ai].reg(region)})
	return len(p.streams) - 1
}

// diurnal is the relative traffic at unix time t: busiest in the European
// afternoon (the US morning), quieter at night and at weekends.
func diurnal(t int64) float64 {
	h := float64(t%day) / float64(hour)
	f := 0.35 + 0.65*math.Exp(-math.Pow((h-14.5)/4.5, 2))
	if wd := (t/day + 4) % 7; wd == 0 || wd == 6 {
		f *= 0.45
	}
	return f
}

// planFiles spreads the benign records over streams and delivery windows
// (largest remainder, so they sum to exactly benign), adds the attack
// records, and cuts files of at most maxRecords.
func (p *plan) planFiles(benign int, r *rng, recs []arec) {
	base := p.start / 300 * 300
	nw := int((p.end - base + p.interval - 1) / p.interval)
	ns := len(p.streams)
	// Weights are quantised to integers so that the allocation is exact
	// integer arithmetic, the same on every platform.
	counts := make([]int, ns*nw)
	weights := make([]int64, ns*nw)
	var total int64
	for s, st := range p.streams {
		for wi := range nw {
			lo, hi := max(base+int64(wi)*p.interval, p.start), min(base+int64(wi+1)*p.interval, p.end)
			if st.weight == 0 || hi <= lo {
				continue
			}
			wt := st.weight * diurnal((lo+hi)/2) * math.Exp(0.25*r.norm()) * float64(hi-lo) / float64(p.interval)
			weights[s*nw+wi] = 1 + int64(wt*1e6)
			total += weights[s*nw+wi]
		}
	}
	type rem struct {
		i   int
		rem int64
	}
	var rems []rem
	left := benign
	for i, wt := range weights {
		if wt == 0 {
			continue
		}
		q := int64(benign) * wt
		counts[i] = int(q / total)
		left -= counts[i]
		rems = append(rems, rem{i, q % total})
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.rem, a.rem) })
	for i := 0; left > 0; i++ {
		counts[rems[i%len(rems)].i]++
		left--
	}

	cells := make([][]arec, ns*nw)
	for _, a := range recs {
		wi := int((a.t - base) / p.interval)
		cells[a.stream*nw+wi] = append(cells[a.stream*nw+wi], a)
	}
	for s := range ns {
		for wi := range nw {
			c := s*nw + wi
			att := cells[c]
			slices.SortStableFunc(att, func(x, y arec) int { return int(x.t - y.t) })
			if counts[c]+len(att) == 0 {
				continue
			}
			lo, hi := max(base+int64(wi)*p.interval, p.start), min(base+int64(wi+1)*p.interval, p.end)
			p.cut(s, lo, hi, base+int64(wi+1)*p.interval, counts[c], att)
		}
	}
}

// cut splits one window's records into as few files of at most maxRecords
// as it can, each covering an equal slice of the window.
func (p *plan) cut(s int, lo, hi, delivery int64, benign int, att []arec) {
	for k := (benign + len(att) + maxRecords - 1) / maxRecords; ; k++ {
		k = min(k, int(hi-lo))
		var files []fileSpec
		ok := true
		ai := 0
		for i := range k {
			from, to := lo+(hi-lo)*int64(i)/int64(k), lo+(hi-lo)*int64(i+1)/int64(k)
			f := fileSpec{stream: s, from: from, to: to, delivery: delivery, benign: benign / k}
			if i < benign%k {
				f.benign++
			}
			n := f.benign
			for ; ai < len(att) && att[ai].t < to; ai++ {
				n++
				if !slices.Contains(f.attacks, att[ai].inst) {
					f.attacks = append(f.attacks, att[ai].inst)
				}
			}
			if n > maxRecords {
				ok = false
			}
			if n > 0 {
				files = append(files, f)
			}
		}
		if ok || k == int(hi-lo) {
			for _, f := range files {
				f.index = len(p.files)
				p.files = append(p.files, f)
			}
			return
		}
	}
}
