package station

import "context"

// previewDPI is the kiosk preview's resolution: a card fills a third of
// the screen, an A4 page its height, without scaling up.
const previewDPI = 150

// previews are a prepared print's pages as PNG, made one after another,
// page 1 first, from the moment the print is prepared: the citizen's
// screen asks for page 1 while it is being made, not after. Each page is
// made once, whoever waits for it.
type previews struct {
	stop  context.CancelFunc // ends the work when the session ends
	pages []previewPage
}

type previewPage struct {
	done chan struct{} // closed when png or err is set
	png  []byte
	err  error
}

// startPreviews rasterises pdf's pages in the background.
func (k *Kiosk) startPreviews(pdf []byte, pages int) *previews {
	ctx, cancel := context.WithCancel(k.ctx)
	pv := &previews{stop: cancel, pages: make([]previewPage, pages)}
	for i := range pv.pages {
		pv.pages[i].done = make(chan struct{})
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer cancel()
		for i := range pv.pages {
			pg := &pv.pages[i]
			pg.png, pg.err = k.cfg.Previewer.Preview(ctx, pdf, i, previewDPI)
			close(pg.done)
		}
	}()
	return pv
}

// wait returns page i once it is made.
func (pv *previews) wait(ctx context.Context, i int) ([]byte, error) {
	pg := &pv.pages[i]
	select {
	case <-pg.done:
		return pg.png, pg.err
	case <-ctx.Done():
		return nil, ErrRenderFailed.With(ctx.Err())
	}
}
