package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testBuckets: each hit moves tat one interval later from now at the earliest, never past now +
// limit; a refund moves it back; the bucket expires (is swept) at tat.
func testBuckets(t *testing.T, s store.Store) {
	t0 := now()
	iv, limit := time.Second, 4*time.Second
	for i := 1; i <= 6; i++ {
		tat, err := s.HitBucket(ctx, "b", t0, iv, limit)
		must(t, err)
		want := t0.Add(time.Duration(min(i, 4)) * iv)
		eq(t, fmt.Sprintf("tat after hit %d", i), tat, want)
	}
	must(t, s.RefundBucket(ctx, "b", iv))
	tat, err := s.HitBucket(ctx, "b", t0, iv, limit)
	must(t, err)
	eq(t, "tat after a refund and a hit", tat, t0.Add(limit))
	// Later than tat, the bucket is full again: the next hit starts from now.
	later := t0.Add(10 * time.Second)
	tat, err = s.HitBucket(ctx, "b", later, iv, limit)
	must(t, err)
	eq(t, "tat after the bucket refilled", tat, later.Add(iv))
	must(t, s.RefundBucket(ctx, "none", iv))
	n, exp, err := s.GetCounter(ctx, "b", later)
	must(t, err)
	eq(t, "hits", n, int64(8))
	eq(t, "expiry is tat", exp, later.Add(iv))
	_, err = s.DeleteExpired(ctx, later.Add(iv))
	must(t, err)
	n, _, err = s.GetCounter(ctx, "b", later)
	must(t, err)
	eq(t, "swept at tat", n, int64(0))
}

// testRaceHitBucket: 20 concurrent hits on one bucket, each on its own connection, each move tat
// by one interval: every racer sees a different tat.
func testRaceHitBucket(t *testing.T, s store.Store) {
	t0 := now()
	tats := make([]time.Time, racers)
	errs := race(func(i int) error {
		var err error
		tats[i], err = s.HitBucket(ctx, "race", t0, time.Second, time.Hour)
		return err
	})
	for i, err := range errs {
		must(t, err)
		_ = i
	}
	slices.SortFunc(tats, func(a, b time.Time) int { return a.Compare(b) })
	for i, tat := range tats {
		eq(t, fmt.Sprintf("tat %d", i), tat, t0.Add(time.Duration(i+1)*time.Second))
	}
}

// testLogSequence: checkpoint paging from a log id, delivery order by sequence, and retention
// deleting the oldest in bounded batches.
func testLogSequence(t *testing.T, s store.Store) {
	t0 := now().Add(-time.Hour)
	var ids []string
	for i := 0; i < 10; i++ {
		e := &domain.LogEvent{Date: t0.Add(time.Duration(i) * time.Minute), Type: []string{"s", "f"}[i%2], UserID: "u"}
		must(t, s.AppendLog(ctx, e))
		ids = append(ids, e.LogID)
	}
	got, err := s.ListLogsFrom(ctx, store.LogFilter{}, ids[2], 3)
	must(t, err)
	eq(t, "from count", len(got), 3)
	for i, e := range got {
		eq(t, "from order", e.LogID, ids[3+i])
	}
	got, err = s.ListLogsFrom(ctx, store.LogFilter{Type: "s"}, ids[2], 10)
	must(t, err)
	eq(t, "filtered from", len(got), 3) // 4, 6, 8
	eq(t, "filtered first", got[0].LogID, ids[4])
	if _, err := s.ListLogsFrom(ctx, store.LogFilter{}, "nope", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown checkpoint: %v", err)
	}

	recs, err := s.ListLogsAfter(ctx, 0, 4)
	must(t, err)
	eq(t, "after count", len(recs), 4)
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("sequence not increasing: %d after %d", recs[i].Seq, recs[i-1].Seq)
		}
	}
	eq(t, "after first", recs[0].Event.LogID, ids[0])
	rest, err := s.ListLogsAfter(ctx, recs[3].Seq, 100)
	must(t, err)
	eq(t, "after the rest", len(rest), 6)
	eq(t, "after continues", rest[0].Event.LogID, ids[4])

	n, err := s.DeleteLogsBefore(ctx, t0.Add(5*time.Minute), 3)
	must(t, err)
	eq(t, "first retention batch", n, 3)
	n, err = s.DeleteLogsBefore(ctx, t0.Add(5*time.Minute), 3)
	must(t, err)
	eq(t, "second retention batch", n, 2)
	n, err = s.DeleteLogsBefore(ctx, t0.Add(5*time.Minute), 3)
	must(t, err)
	eq(t, "nothing left to delete", n, 0)
	left, err := s.ListLogsAfter(ctx, 0, 100)
	must(t, err)
	eq(t, "kept", len(left), 5)
	eq(t, "oldest kept", left[0].Event.LogID, ids[5])
}

// testAttackProtection: defaults until saved; each section saved alone; invalid settings refused.
func testAttackProtection(t *testing.T, s store.Store) {
	ap, err := s.GetAttackProtection(ctx)
	must(t, err)
	def := domain.DefaultAttackProtection()
	eq(t, "default max attempts", ap.BruteForce.MaxAttempts, def.BruteForce.MaxAttempts)
	eq(t, "default pre-login", ap.SuspiciousIP.Stage.PreLogin, def.SuspiciousIP.Stage.PreLogin)
	eq(t, "default breached", ap.BreachedPassword.Enabled, false)

	bf := def.BruteForce
	bf.MaxAttempts, bf.Mode, bf.Allowlist = 3, domain.ModePerIdentifier, []string{"10.0.0.0/8", "2001:db8::1"}
	must(t, s.PutBruteForceProtection(ctx, bf))
	sit := def.SuspiciousIP
	sit.Stage.PreLogin = domain.ThrottleStage{MaxAttempts: 5, Rate: 1000}
	must(t, s.PutSuspiciousIPThrottling(ctx, sit))
	bpd := def.BreachedPassword
	bpd.Enabled, bpd.Shields = true, []string{domain.ShieldBlock}
	must(t, s.PutBreachedPasswordDetection(ctx, bpd))

	ap, err = s.GetAttackProtection(ctx)
	must(t, err)
	eq(t, "max attempts", ap.BruteForce.MaxAttempts, 3)
	eq(t, "mode", ap.BruteForce.Mode, domain.ModePerIdentifier)
	eq(t, "allowlist", len(ap.BruteForce.Allowlist), 2)
	eq(t, "pre-login", ap.SuspiciousIP.Stage.PreLogin.MaxAttempts, 5)
	eq(t, "pre-user-registration kept", ap.SuspiciousIP.Stage.PreUserRegistration, def.SuspiciousIP.Stage.PreUserRegistration)
	eq(t, "breached", ap.BreachedPassword.Enabled, true)

	bad := bf
	bad.Allowlist = []string{"10.0.0.300"}
	if err := s.PutBruteForceProtection(ctx, bad); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("bad allowlist saved: %v", err)
	}
	ap, err = s.GetAttackProtection(ctx)
	must(t, err)
	eq(t, "unchanged after a refusal", ap.BruteForce.Allowlist[0], "10.0.0.0/8")
}

func newStream(id string) *domain.LogStream {
	ls := &domain.LogStream{ID: id, Name: "siem", Sink: domain.LogStreamSink{HTTPEndpoint: "https://siem.example.com/in"},
		AuthorizationSealed: []byte{1, 2, 3}}
	ls.ApplyDefaults()
	return ls
}

// testLogStreams: a new stream starts at the newest event; the lease admits one holder; only the
// holder advances; failures suspend; making it active again starts afresh.
func testLogStreams(t *testing.T, s store.Store) {
	t0 := now()
	must(t, s.AppendLog(ctx, &domain.LogEvent{Type: "s"}))
	ls := newStream("lst_1")
	must(t, s.CreateLogStream(ctx, ls))
	got, err := s.GetLogStream(ctx, "lst_1")
	must(t, err)
	recs, err := s.ListLogsAfter(ctx, 0, 10)
	must(t, err)
	eq(t, "cursor at the newest event", got.Cursor, recs[len(recs)-1].Seq)
	eq(t, "status", got.Status, domain.LogStreamActive)
	eq(t, "sealed kept", string(got.AuthorizationSealed), string([]byte{1, 2, 3}))
	eq(t, "endpoint", got.Sink.HTTPEndpoint, "https://siem.example.com/in")

	c, err := s.ClaimLogStream(ctx, "lst_1", "a", t0, t0.Add(time.Minute))
	must(t, err)
	eq(t, "claimed", c.ID, "lst_1")
	if _, err := s.ClaimLogStream(ctx, "lst_1", "b", t0.Add(time.Second), t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second holder: %v", err)
	}
	if err := s.AdvanceLogStream(ctx, "lst_1", "b", got.Cursor+1, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("advance without the lease: %v", err)
	}
	must(t, s.AdvanceLogStream(ctx, "lst_1", "a", got.Cursor+5, t0.Add(2*time.Minute)))
	if err := s.AdvanceLogStream(ctx, "lst_1", "a", got.Cursor+1, t0.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the cursor moved back: %v", err)
	}
	st, err := s.FailLogStream(ctx, "lst_1", "a", t0.Add(time.Second), "boom", 2)
	must(t, err)
	eq(t, "one failure keeps it active", st, domain.LogStreamActive)
	if _, err := s.ClaimLogStream(ctx, "lst_1", "b", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claimed before its next attempt: %v", err)
	}
	_, err = s.ClaimLogStream(ctx, "lst_1", "b", t0.Add(time.Second), t0.Add(time.Minute))
	must(t, err)
	st, err = s.FailLogStream(ctx, "lst_1", "b", t0.Add(2*time.Second), "boom again", 2)
	must(t, err)
	eq(t, "suspended", st, domain.LogStreamSuspended)
	got, err = s.GetLogStream(ctx, "lst_1")
	must(t, err)
	eq(t, "failures", got.Failures, 2)
	eq(t, "last error", got.LastError, "boom again")
	eq(t, "cursor kept", got.Cursor, c.Cursor+5)
	if _, err := s.ClaimLogStream(ctx, "lst_1", "a", t0.Add(time.Hour), t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claimed while suspended: %v", err)
	}
	got.Status = domain.LogStreamActive
	must(t, s.UpdateLogStream(ctx, got))
	got, err = s.GetLogStream(ctx, "lst_1")
	must(t, err)
	eq(t, "failures reset", got.Failures, 0)
	_, err = s.ClaimLogStream(ctx, "lst_1", "a", t0, t0.Add(time.Minute))
	must(t, err)
	must(t, s.ReleaseLogStream(ctx, "lst_1", "a"))
	_, err = s.ClaimLogStream(ctx, "lst_1", "b", t0, t0.Add(time.Minute))
	must(t, err)

	// The backlog: events after each stream's cursor and the oldest one's date.
	must(t, s.CreateLogStream(ctx, newStream("lst_2")))
	backlog := func(id string) store.LogStreamBacklog {
		t.Helper()
		list, err := s.LogStreamBacklogs(ctx)
		must(t, err)
		for _, b := range list {
			if b.StreamID == id {
				return b
			}
		}
		t.Fatalf("no backlog for %s in %+v", id, list)
		return store.LogStreamBacklog{}
	}
	if b := backlog("lst_2"); b.Depth != 0 || !b.Oldest.IsZero() || b.Status != domain.LogStreamActive {
		t.Fatalf("a new stream's backlog: %+v", b)
	}
	d1 := t0.Add(-time.Hour).Truncate(time.Millisecond)
	must(t, s.AppendLog(ctx, &domain.LogEvent{Type: "s", Date: d1}))
	must(t, s.AppendLog(ctx, &domain.LogEvent{Type: "s", Date: d1.Add(time.Minute)}))
	if b := backlog("lst_2"); b.Depth != 2 || !b.Oldest.Equal(d1) {
		t.Fatalf("two events behind: %+v, want oldest %v", b, d1)
	}
	_, err = s.ClaimLogStream(ctx, "lst_2", "a", t0, t0.Add(time.Minute))
	must(t, err)
	recs, err = s.ListLogsAfter(ctx, 0, 1000)
	must(t, err)
	must(t, s.AdvanceLogStream(ctx, "lst_2", "a", recs[len(recs)-2].Seq, t0.Add(time.Minute)))
	if b := backlog("lst_2"); b.Depth != 1 || !b.Oldest.Equal(d1.Add(time.Minute)) {
		t.Fatalf("one event behind: %+v", b)
	}
	list, err := s.ListLogStreams(ctx)
	must(t, err)
	eq(t, "listed", len(list), 2)
	must(t, s.DeleteLogStream(ctx, "lst_2"))
	if err := s.DeleteLogStream(ctx, "lst_2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	bad := newStream("lst_3")
	bad.Sink.HTTPContentFormat = "XML"
	if err := s.CreateLogStream(ctx, bad); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("invalid stream stored: %v", err)
	}
}

// testRaceClaimLogStream: 20 nodes claim one stream at once; exactly one holds it.
func testRaceClaimLogStream(t *testing.T, s store.Store) {
	t0 := now()
	must(t, s.CreateLogStream(ctx, newStream("lst_race")))
	wins := make([]bool, racers)
	errs := race(func(i int) error {
		_, err := s.ClaimLogStream(ctx, "lst_race", fmt.Sprintf("node-%d", i), t0, t0.Add(time.Minute))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		wins[i] = err == nil
		return err
	})
	for _, err := range errs {
		must(t, err)
	}
	n := 0
	for _, w := range wins {
		if w {
			n++
		}
	}
	eq(t, "lease holders", n, 1)
}

// testAppendLogs: a batch of 23 events (16 + 4 + 3 one by one) is stored in the order given, with
// ids and dates filled in; a batch with a duplicate log id stores none of its events.
func testAppendLogs(t *testing.T, s store.Store) {
	t0 := now()
	batch := make([]domain.LogEvent, 23)
	for i := range batch {
		batch[i] = domain.LogEvent{Type: "seccft", ClientID: fmt.Sprint("c", i), Description: fmt.Sprint("event ", i)}
		if i%5 == 0 {
			batch[i].Date = t0.Add(-time.Duration(i) * time.Second)
		}
	}
	must(t, s.AppendLogs(ctx, batch))
	recs, err := s.ListLogsAfter(ctx, 0, 100)
	must(t, err)
	eq(t, "stored", len(recs), len(batch))
	for i, r := range recs {
		e := batch[i]
		if e.LogID == "" || e.Date.IsZero() {
			t.Fatalf("event %d: id %q, date %v not filled in", i, e.LogID, e.Date)
		}
		eq(t, fmt.Sprint("order ", i), r.Event.LogID, e.LogID)
		eq(t, fmt.Sprint("client ", i), r.Event.ClientID, e.ClientID)
		eq(t, fmt.Sprint("date ", i), r.Event.Date.UnixMicro(), e.Date.UnixMicro())
		if i > 0 && r.Seq <= recs[i-1].Seq {
			t.Fatalf("sequence not increasing at %d", i)
		}
	}
	got, err := s.GetLog(ctx, batch[17].LogID)
	must(t, err)
	eq(t, "one of the remainder", got.Description, "event 17")

	bad := []domain.LogEvent{{Type: "s"}, {Type: "s"}, {Type: "s"}, {Type: "s", LogID: batch[0].LogID}, {Type: "s"}}
	if err := s.AppendLogs(ctx, bad); err == nil {
		t.Fatal("a batch with a duplicate log id was stored")
	}
	after, err := s.ListLogsAfter(ctx, 0, 100)
	must(t, err)
	eq(t, "nothing of the refused batch", len(after), len(batch))
	must(t, s.AppendLogs(ctx, nil))
}
