package logstream

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Gaps. Events are delivered in the order of their sequence numbers, and a number missing from the
// log is either a write still in flight (PostgreSQL hands numbers out before commit, and commits
// land in any order) or one that never will be: rolled back (a node killed mid-transaction, a
// database outage), or deleted by retention. Delivery must wait for the first kind and not for the
// second, and the two look alike.
//
// What tells them apart is time. A sequence hands numbers out in increasing order, so when number
// H is visible every number below it was handed out before that moment, to a transaction already
// running. Transactions that write the tenant log are short (bounded by their contexts, well
// inside Settle), so Settle after H was seen, every number below H that is still missing never
// will appear. A worker notes the highest number it sees now and then (a horizon) per stream; a
// horizon older than Settle settles every gap below it at once, so a burst of gaps (a rolled-back
// batch interleaved with other nodes' events) costs one Settle, not one per gap.

// horizon is the highest sequence number seen at a moment.
type horizon struct {
	seq int64
	at  time.Time
}

// gaps is one stream's view of the sequence: the horizons not yet old enough, oldest first, and
// the number at or below which every gap has settled.
type gaps struct {
	pending []horizon
	settled int64
}

// contiguous returns the records that follow the cursor without an unsettled gap, after noting
// what recs show of the sequence.
func (w *Worker) contiguous(ls *domain.LogStream, recs []domain.LogRecord) []domain.LogRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.Now()
	g := w.gaps[ls.ID]
	if g == nil {
		g = &gaps{}
		w.gaps[ls.ID] = g
	}
	if n := len(recs); n > 0 {
		top := recs[n-1].Seq
		last := horizon{seq: g.settled}
		if len(g.pending) > 0 {
			last = g.pending[len(g.pending)-1]
		}
		// A new horizon a quarter of Settle after the last: a gap waits at most 1¼ Settle.
		if top > last.seq && (len(g.pending) == 0 || now.Sub(last.at) >= w.Settle/4) {
			if len(g.pending) == maxHorizons {
				g.pending = g.pending[1:]
			}
			g.pending = append(g.pending, horizon{seq: top, at: now})
		}
	}
	for len(g.pending) > 0 && now.Sub(g.pending[0].at) >= w.Settle {
		g.settled = max(g.settled, g.pending[0].seq)
		g.pending = g.pending[1:]
	}
	want := ls.Cursor + 1
	for i, r := range recs {
		// r follows the cursor when nothing is missing before it, or all that is missing settled.
		if r.Seq != want && r.Seq-1 > g.settled {
			return recs[:i]
		}
		want = r.Seq + 1
	}
	return recs
}

// forget drops the view of streams no longer listed.
func (w *Worker) forget(listed map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.gaps {
		if !listed[id] {
			delete(w.gaps, id)
		}
	}
}
