package station

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// This file is the printing half of the kiosk: preparing, previewing and
// printing a document, following its job at printerd for the citizen,
// and handing the outcome to the settler.
// Print is the progress of one requested document at the kiosk.
type Print struct {
	Request  RequestID
	Document DocumentType
	Job      printerd.JobID
	SHA256   string
	State    PrintState
	Reason   string // printer reason keyword, when there is one
	// Settlement names the settlement that carries the print's outcome
	// to the upstream.
	Settlement string
	Err        *Error // why it failed, for the citizen
	Pages      int    // pages of the rendered document
	Masks      []Mask // preview regions the page covers (the citizen's name)
	// Until is when printerd expects the print to be done, from its
	// estimate for the printer; zero when unknown or not printing.
	Until time.Time

	session  string    // the session the print belongs to, for its watchers
	updated  time.Time // printerd's time of the job state shown, so an older one never replaces it
	key      string    // the idempotency key of the attempt submitted (AttemptKey)
	rendered *Rendered // kept from preview to print: what was shown is what prints
	previews *previews // its pages as PNG, made from the moment it is prepared
}

// PrintState is what the citizen sees of a print.
type PrintState string

// Print states shown on the kiosk.
const (
	PrintPreparing PrintState = "preparing" // fetching and rendering
	PrintPreview   PrintState = "preview"   // rendered, shown to the citizen, not yet sent
	PrintQueued    PrintState = "queued"    // waiting at printerd
	PrintPrinting  PrintState = "printing"  // at the printer
	PrintDone      PrintState = "printed"   // printed; its confirmation is recorded and reaches the upstream
	PrintHeld      PrintState = "held"      // printerd holds the job (jam, no blanks): an officer acts; token kept
	PrintFailed    PrintState = "failed"    // nothing printed; token kept
	PrintInDoubt   PrintState = "in_doubt"  // outcome unknown; an officer decides
)

// MaxPrintAttempts bounds the attempts at printing one request at a kiosk:
// a new attempt starts only after the last one failed with nothing printed
// (failed or canceled at printerd). After that many, an officer looks.
const MaxPrintAttempts = 5

// AttemptKey is the idempotency key under which attempt n (from 1) at
// printing r is submitted to printerd. It depends only on the request and
// n, so the same approved document can never become two jobs, whichever
// session, restart or double tap submits it; a supervisor's reprint uses
// printerd.ReprintKey.
func AttemptKey(r RequestID, n int) string {
	in := "anjungan/print-request/v1\x00" + string(r)
	if n > 1 {
		in += "\x00attempt " + strconv.Itoa(n)
	}
	sum := sha256.Sum256([]byte(in))
	return hex.EncodeToString(sum[:])
}

// Prepare fetches and renders one approved document and keeps it in the
// session for the citizen to preview. Calling it again returns the same
// print.
func (k *Kiosk) Prepare(ctx context.Context, sessionID string, rid RequestID) (Print, error) {
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	if p, ok := s.Prints[rid]; ok && p.State != PrintFailed {
		cp := *p
		k.mu.Unlock()
		return cp, nil
	}
	req, ok := findRequest(s.Authz.Requests, rid)
	switch {
	case !ok:
		k.mu.Unlock()
		return Print{}, ErrRequestNotFound.Withf("request not in authorization")
	case req.Status == RequestPrinting:
		k.mu.Unlock()
		return Print{}, ErrRequestPrinting.Withf("request status %s", req.Status)
	case req.Status != RequestApproved:
		k.mu.Unlock()
		return Print{}, ErrAlreadyPrinted.Withf("request status %s", req.Status)
	}
	k.mu.Unlock()
	// Checked before anything is fetched: a document that cannot print
	// now must not reserve the request nor keep the citizen waiting.
	if err := k.usable(ctx, req.Document); err != nil {
		return Print{}, err
	}
	k.mu.Lock()
	if s, err = k.liveLocked(sessionID); err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	if p, ok := s.Prints[rid]; ok && p.State != PrintFailed {
		cp := *p // another tap got here meanwhile
		k.mu.Unlock()
		return cp, nil
	}
	if old, ok := s.Prints[rid]; ok && old.previews != nil {
		old.previews.stop() // a failed print's pages: a new preparation makes its own
	}
	p := &Print{Request: rid, Document: req.Document, State: PrintPreparing, session: sessionID}
	s.Prints[rid] = p
	k.changedLocked(sessionID)
	authz := s.Authz
	k.mu.Unlock()

	out, err := k.render(ctx, authz, req)
	if errors.Is(err, ErrRequestReserved) && k.releaseOwn(ctx, authz, rid) {
		// This kiosk held it, for the citizen's earlier visit: given back
		// now, it is theirs to fetch.
		out, err = k.render(ctx, authz, req)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.changedLocked(sessionID)
	if err != nil {
		p.State, p.Err = PrintFailed, fault.As(err)
		// The fetch may have reserved the request upstream: give it back.
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			_ = k.release(k.ctx, authz, rid)
		}()
		return *p, err
	}
	p.State, p.SHA256, p.Pages, p.rendered = PrintPreview, out.SHA256, out.Pages, &out
	p.Masks = validMasks(out.Masks, out.Pages)
	if k.cfg.Previewer != nil {
		p.previews = k.startPreviews(out.PDF, out.Pages)
	}
	return *p, nil
}

// Preview returns page (from 0) of a prepared print as PNG, made from the
// same PDF that will print.
func (k *Kiosk) Preview(ctx context.Context, sessionID string, rid RequestID, page int) ([]byte, error) {
	if k.cfg.Previewer == nil {
		return nil, ErrRenderFailed.Withf("no previewer configured")
	}
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return nil, err
	}
	p, ok := s.Prints[rid]
	if !ok || p.rendered == nil || p.previews == nil {
		k.mu.Unlock()
		return nil, ErrRequestNotFound.Withf("no prepared print for the request")
	}
	pv, pdf := p.previews, p.rendered.PDF
	k.mu.Unlock()
	if page < 0 || page >= len(pv.pages) {
		return nil, ErrRequestNotFound.Withf("no page %d", page)
	}
	png, err := pv.wait(ctx, page)
	if err != nil && ctx.Err() == nil {
		// Made in the background and failed, or cut short: this request
		// tries once more on its own.
		png, err = k.cfg.Previewer.Preview(ctx, pdf, page, previewDPI)
	}
	return png, err
}

// Print submits a prepared document (preparing it first if needed), then
// settles it with the upstream in the background. Calling it again for
// the same request returns the same print.
func (k *Kiosk) Print(ctx context.Context, sessionID string, rid RequestID) (Print, error) {
	k.mu.Lock()
	if s, err := k.liveLocked(sessionID); err == nil {
		if sp, ok := s.Prints[rid]; ok && sp.State == PrintResumable {
			k.mu.Unlock()
			return k.resume(ctx, sessionID, rid)
		}
	}
	k.mu.Unlock()
	p, err := k.Prepare(ctx, sessionID, rid)
	if err != nil || p.State != PrintPreview {
		return p, err
	}
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	sp := s.Prints[rid]
	if sp.State != PrintPreview {
		// Another tap got here first.
		cp := *sp
		k.mu.Unlock()
		return cp, nil
	}
	sp.State = PrintQueued
	k.changedLocked(sessionID)
	authz, ticketID, presence, out := s.Authz, s.TicketID, s.Presence, sp.rendered
	k.mu.Unlock()

	// The visit's lease is renewed every few seconds; renewed now too, so
	// that a renewal missed at login cannot hold the job it is about to
	// send (printerd holds a job whose visit is not live).
	k.renew(ctx, presence)
	job, st, err := k.submit(ctx, authz, ticketID, presence, rid, sp.Document, out)
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.changedLocked(sessionID)
	if err != nil {
		sp.State, sp.Err = PrintFailed, fault.As(err)
		return *sp, err
	}
	sp.Job, sp.key, sp.Settlement = job.ID, st.Key, st.ID
	sp.State = printState(job.State)
	k.wg.Add(1)
	go k.settle(authz, sp)
	return *sp, nil
}

func findRequest(rs []PrintRequest, id RequestID) (PrintRequest, bool) {
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return PrintRequest{}, false
}

func (k *Kiosk) render(ctx context.Context, authz Authorization, req PrintRequest) (Rendered, error) {
	ev := Event{Subject: authz.Subject, Request: req.ID, Document: req.Document}
	doc, err := k.cfg.Registry.Document(ctx, authz, req.ID)
	if err != nil {
		ev.Kind, ev.Err = EventPrintFailed, err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	if doc.Type != req.Document || doc.Request != req.ID {
		err := ErrUpstreamInvalid.Withf("document %s/%s does not answer request %s/%s", doc.Type, doc.Request, req.Document, req.ID)
		ev.Kind, ev.Err = EventPrintFailed, err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	// Nothing unsigned, altered or signed by another key reaches the
	// renderer, let alone printerd.
	err = ErrDocumentSignatureInvalid.Withf("no upstream document key configured")
	if k.cfg.Signatures != nil {
		err = k.cfg.Signatures.VerifyDocument(doc)
	}
	if err != nil {
		ev.Kind, ev.Err = EventPrintFailed, err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	ev.Kind = EventDocumentFetched
	k.cfg.Recorder.Record(ctx, ev)

	out, err := k.cfg.Renderer.Render(ctx, doc)
	if err != nil {
		ev.Kind, ev.Err = EventPrintFailed, err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	ev.Kind, ev.SHA256 = EventRendered, out.SHA256
	k.cfg.Recorder.Record(ctx, ev)
	return out, nil
}

// submit hands the document to printerd under the first attempt's key
// whose job did not fail: an attempt that failed with nothing printed
// (failed, canceled) is followed by the next, never one printed or in
// doubt. That holds too when the failed attempt had other bytes (a
// template or the upstream's data changed since), which printerd refuses
// as a conflict naming that job. Each attempt is recorded and held at the
// upstream (Settler.Begin) before printerd sees it. It returns the job and
// its settlement.
func (k *Kiosk) submit(ctx context.Context, authz Authorization, ticketID, presence string, rid RequestID, d DocumentType, out *Rendered) (printerd.Job, Settlement, error) {
	ev := Event{Subject: authz.Subject, Request: rid, SHA256: out.SHA256, Document: d}
	fail := func(err error) (printerd.Job, Settlement, error) {
		ev.Kind, ev.Err = EventPrintFailed, err
		k.cfg.Recorder.Record(ctx, ev)
		return printerd.Job{}, Settlement{}, err
	}
	n := 1
	last, found, err := k.settler.LastAttempt(ctx, rid)
	switch {
	case err != nil:
		return fail(err)
	case !found:
	case last.Stage == SettleSubmitting:
		n = last.Attempt // a submission cut short: the same key again is safe
	case last.Owed == ResultFailed && (last.Stage == SettleOwed || last.Settled()):
		n = last.Attempt + 1
	case last.Job != "":
		// This kiosk printed the request, or is printing it: show that job.
		job, err := k.cfg.Printers.Job(ctx, last.Job)
		if err != nil {
			return fail(ErrPrinterUnavailable.With(err))
		}
		return job, last, nil
	default:
		return fail(ErrPrinterUnavailable.Withf("request %s has an attempt without a job", rid))
	}
	for ; ; n++ {
		if n > MaxPrintAttempts {
			return fail(ErrPrinterUnavailable.Withf("%d attempts at request %s failed", n-1, rid))
		}
		st, err := k.settler.Begin(ctx, authz, ticketID, rid, d, n, out.SHA256)
		if err != nil {
			return fail(err)
		}
		job, err := k.submitOnce(ctx, printerd.SubmitRequest{
			IdempotencyKey: st.Key,
			Media:          d.Media(),
			Title:          d.Title(),
			DocumentType:   string(d),
			Document:       out.PDF,
			Presence:       presence,
		})
		// job is the key's job: new, the same, or one with other bytes.
		if err != nil && !errors.Is(err, printerd.ErrIdempotencyConflict) {
			k.settler.SubmitFailed(st) // it may exist: the settler looks it up later
			return fail(ErrPrinterUnavailable.With(err))
		}
		if st, err = k.settler.Submitted(ctx, st, job); err != nil {
			return fail(err)
		}
		if job.State == printerd.JobFailed || job.State == printerd.JobCanceled {
			continue // that attempt ended with nothing printed: reported, and the next one
		}
		ev.Kind, ev.Job = EventSubmitted, job.ID
		k.cfg.Recorder.Record(ctx, ev)
		return job, st, nil
	}
}

// submitAttempts bounds the tries at one submission before the citizen is
// told the printer is unavailable.
const submitAttempts = 3

// submitOnce submits req, relying on what printerd promises after an error
// answer (docs/printerd.md): a retry under the same key is always safe, and
// a lookup by key says whether a job was recorded. So an error answer is
// retried, then the key looked up; only when both fail is it an error, and
// even then the job may exist: the settler looks it up again later.
func (k *Kiosk) submitOnce(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, error) {
	var err error
	for i := 0; i < submitAttempts; i++ {
		if i > 0 && !k.sleep(time.Duration(i)*200*time.Millisecond) {
			break
		}
		var job printerd.Job
		job, err = k.cfg.Printers.Submit(ctx, req)
		if err == nil || errors.Is(err, printerd.ErrIdempotencyConflict) || errors.Is(err, printerd.ErrInvalidJob) {
			return job, err
		}
	}
	if job, found, lerr := k.cfg.Printers.JobByKey(ctx, req.IdempotencyKey); lerr == nil && found {
		return job, nil
	}
	return printerd.Job{}, err
}

func printState(s printerd.JobState) PrintState {
	switch s {
	case printerd.JobQueued:
		return PrintQueued
	case printerd.JobHeld:
		return PrintHeld
	case printerd.JobDispatching:
		return PrintPrinting
	case printerd.JobPrinted:
		return PrintPrinting // printed, not yet confirmed upstream
	case printerd.JobInDoubt:
		return PrintInDoubt
	default:
		return PrintFailed
	}
}

// settle follows the job for the citizen until printerd reaches a
// terminal state, then hands the outcome to the settler, which records it
// durably and carries it to the upstream: a confirmed print burns the
// token, a failed or uncertain one is reported. The citizen sees the
// outcome once it is recorded; the settler tries the upstream at once, so
// in the usual case it is also acknowledged by then.
func (k *Kiosk) settle(authz Authorization, p *Print) {
	defer k.wg.Done()
	ctx := k.ctx
	k.mu.Lock()
	jobID, settlement := p.Job, p.Settlement
	// Registered before the first read: a change after that read arrives
	// as a notice (printerd's stream promises no gap after subscribing).
	notices := make(chan printerd.Notice, 16)
	k.jobs[jobID] = notices
	if n, ok := k.early[jobID]; ok {
		notices <- n
		delete(k.early, jobID)
	}
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		if k.jobs[jobID] == notices { // not a later visit's, which resumed the job
			delete(k.jobs, jobID)
		}
		k.mu.Unlock()
	}()

	poll := time.NewTimer(0)
	defer poll.Stop()
	var job printerd.Job
	for {
		var n printerd.Notice
		select {
		case <-ctx.Done():
			return
		case n = <-notices:
		case <-poll.C:
			poll.Reset(k.cfg.PollEvery)
		}
		if !k.live(p.session) {
			// The citizen left: nobody watches this print here any more;
			// the settler follows it to its end.
			return
		}
		j := n.Job
		if j == nil {
			got, err := k.cfg.Printers.Job(ctx, jobID)
			if err != nil {
				continue // printerd away: the next poll or notice tries again
			}
			j = &got
		}
		if !k.progress(p, *j, n) {
			continue
		}
		if j.State.Terminal() {
			job = *j
			break
		}
	}
	k.settler.Observe(ctx, settlement, job)
	// One prompt try, so that in the usual case the upstream knows before
	// the citizen leaves; the settler keeps trying after it.
	k.settler.DeliverNow(ctx, settlement)

	ev := Event{Subject: authz.Subject, Request: p.Request, Job: job.ID, SHA256: p.SHA256, Printer: job.Printer, CardSerial: job.CardSerial,
		Document: p.Document}
	var final PrintState
	var citizenErr *Error
	switch job.State {
	case printerd.JobPrinted:
		final, ev.Kind = PrintDone, EventPrinted
	case printerd.JobInDoubt:
		final, ev.Kind = PrintInDoubt, EventPrintInDoubt
		citizenErr = ErrPrintInDoubt
	default:
		final, ev.Kind = PrintFailed, EventPrintFailed
		citizenErr = ErrPrintFailed.Withf("job %s %s: %s", job.ID, job.State, job.Reason)
		ev.Err = citizenErr
	}
	k.update(p, final, job.Reason, citizenErr)
	if final == PrintDone {
		k.cfg.Recorder.Record(ctx, ev) // the settler records the confirmation and the failures
	}
}

// live reports whether the session still exists.
func (k *Kiosk) live(sessionID string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.sessions[sessionID]
	return ok
}

// progress shows a job state read from printerd (n is its notice, if it
// came as one) on the print, unless an earlier state than the one shown.
// It reports whether the state was taken.
func (k *Kiosk) progress(p *Print, j printerd.Job, n printerd.Notice) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if j.Updated.Before(p.updated) {
		return false // a notice older than a read already shown
	}
	p.updated = j.Updated
	if j.State.Terminal() {
		return true // settle shows it once the upstream knows
	}
	state, why := printState(j.State), (*Error)(nil)
	// A held job, or one sent back to the queue with a reason (the
	// printer stopped on a jam, an open cover), waits for an officer.
	// Keep following it: it prints once the printer is cleared.
	if j.State == printerd.JobHeld || j.State == printerd.JobQueued && j.Reason != "" {
		state, why = PrintHeld, ErrPrintHeld.Withf("job %s %s: %s", j.ID, j.State, j.Reason)
	}
	until := p.Until
	switch {
	case j.State != printerd.JobDispatching:
		until = time.Time{}
	case n.Job != nil && n.EstimateMS > 0:
		until = n.Time.Add(time.Duration(n.EstimateMS) * time.Millisecond)
	}
	// The time left may come after the state (a poll read the job
	// dispatching before its notice came): either change is news.
	if p.State != state || p.Reason != j.Reason || !p.Until.Equal(until) {
		p.State, p.Reason, p.Err, p.Until = state, j.Reason, why, until
		k.changedLocked(p.session)
	}
	return true
}

func (k *Kiosk) update(p *Print, s PrintState, reason string, err *Error) {
	k.mu.Lock()
	p.State, p.Reason, p.Err, p.Until = s, reason, err, time.Time{}
	k.changedLocked(p.session)
	k.mu.Unlock()
}

func (k *Kiosk) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-k.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// followNotices follows printerd's event stream for the whole kiosk and
// hands each job notice to the settlement following that job. When the
// stream breaks (printerd restarts) it subscribes again with backoff and
// has every settlement read its job, since notices of the gap are lost.
func (k *Kiosk) followNotices() {
	defer k.wg.Done()
	const minDelay, maxDelay = 100 * time.Millisecond, 5 * time.Second
	delay := minDelay
	for {
		ch, err := k.cfg.Notices.Events(k.ctx)
		if err == nil {
			delay = minDelay
			k.pokeJobs()
			k.followStream(ch)
			k.pokeJobs() // gone: the polls take over until the next subscription
		}
		if !k.sleep(delay) {
			return
		}
		delay = min(2*delay, maxDelay)
	}
}

// followStream delivers the job notices of one subscription until it
// ends or the kiosk closes.
func (k *Kiosk) followStream(ch <-chan printerd.Notice) {
	for {
		select {
		case <-k.ctx.Done():
			return
		case n, ok := <-ch:
			if !ok {
				return
			}
			if n.Kind == printerd.NoticeJob && n.Job != nil {
				k.deliver(n.Job.ID, n)
			}
		}
	}
}

// maxEarly bounds the notices kept for jobs no settlement follows yet.
const maxEarly = 64

// deliver passes n to the settlement of job id without blocking: a full
// queue loses the notice, and the settlement's poll catches up. Without a
// settlement yet, n waits in k.early for it.
func (k *Kiosk) deliver(id printerd.JobID, n printerd.Notice) {
	k.mu.Lock()
	ch := k.jobs[id]
	if n.Job != nil && (n.Job.State.Terminal() || n.Job.State == printerd.JobInDoubt) {
		k.settler.Wake() // a settlement may follow it, from before a restart or a supervisor's decision
	}
	if ch == nil {
		if len(k.early) >= maxEarly {
			clear(k.early) // notices of jobs no settlement came for
		}
		k.early[id] = n
	}
	k.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- n:
	default:
	}
}

// pokeJobs asks every settlement to read its job now.
func (k *Kiosk) pokeJobs() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ch := range k.jobs {
		select {
		case ch <- printerd.Notice{}:
		default:
		}
	}
}

// validMasks keeps the masks that lie on a page of the document, clipped
// to it; a template's mistake must not cover the whole screen or nothing.
func validMasks(ms []Mask, pages int) []Mask {
	var out []Mask
	for _, m := range ms {
		x0, y0 := max(m.X, 0), max(m.Y, 0)
		x1, y1 := min(m.X+m.W, 1), min(m.Y+m.H, 1)
		if m.Page < 0 || m.Page >= pages || !(x1 > x0 && y1 > y0) { // NaN fails too
			continue
		}
		out = append(out, Mask{Page: m.Page, X: x0, Y: y0, W: x1 - x0, H: y1 - y0})
	}
	return out
}

// releaseOwn gives back rid if an earlier visit at this kiosk still
// reserves it upstream (its release failed), so that the upstream's
// "reserved at another kiosk" is not shown when it is this one. It
// reports whether it did.
func (k *Kiosk) releaseOwn(ctx context.Context, authz Authorization, rid RequestID) bool {
	k.mu.Lock()
	old, ok := k.unreleased[rid]
	k.mu.Unlock()
	if !ok || old.ID == authz.ID || !old.Expires.IsZero() && k.cfg.Now().After(old.Expires) {
		return false
	}
	return k.release(ctx, old, rid) == nil
}
