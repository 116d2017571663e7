package certpdf

import (
	"certreg/certlayout"

	"runtime"
	"sync"
)

// qrAhead bounds how many pages ahead of the writer QR codes are encoded,
// so a large batch holds only a window of codes at any time.
const qrAhead = 32

// qrCodes encodes the QR codes of a batch on other goroutines while pages are
// written (qrencode.go: a fraction of a millisecond for a signed link's
// code, still the largest part of a page after the text).
type qrCodes struct {
	results []chan qrResult
	window  chan struct{}
	done    chan struct{}
	once    sync.Once
}

type qrResult struct {
	png     []byte
	modules int
	err     error
}

// encodeQRs starts encoding; nothing is encoded if the format hides the QR
// code or a certificate has no VerifyURL.
func encodeQRs(f certlayout.Format, certs []Cert) *qrCodes {
	q := &qrCodes{done: make(chan struct{})}
	if fl, ok := f.Fields[certlayout.FieldQR]; !ok || !fl.Visible {
		return q
	}
	q.results = make([]chan qrResult, len(certs))
	for i := range q.results {
		q.results[i] = make(chan qrResult, 1) // workers never block on it
	}
	q.window = make(chan struct{}, qrAhead)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range certs {
			select {
			case q.window <- struct{}{}:
			case <-q.done:
				return
			}
			select {
			case jobs <- i:
			case <-q.done:
				return
			}
		}
	}()
	for range max(1, runtime.GOMAXPROCS(0)) {
		go func() {
			for i := range jobs {
				var r qrResult
				if u := certs[i].VerifyURL; u != "" {
					r.png, r.modules, r.err = qrPNG(u)
				}
				q.results[i] <- r
			}
		}()
	}
	return q
}

// get waits for the code of certificate i and its modules per side; nil
// when there is none. Call it once per index, in order.
func (q *qrCodes) get(i int) ([]byte, int, error) {
	if q.results == nil {
		return nil, 0, nil
	}
	r := <-q.results[i]
	<-q.window
	return r.png, r.modules, r.err
}

// stop ends the encoding early; workers finish the code in hand and exit.
func (q *qrCodes) stop() { q.once.Do(func() { close(q.done) }) }
