package files

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"
)

// No more than maxParallelDecodes images are decoded at once in the
// process: with every slot taken, a decode waits until one is free.
func TestDecodesWaitForASlot(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	if cap(decodeSlots) != 2 {
		t.Fatalf("%d decode slots", cap(decodeSlots))
	}
	for range cap(decodeSlots) {
		decodeSlots <- struct{}{}
	}
	done := make(chan error, 1)
	go func() { done <- decodeImage(bytes.NewReader(buf.Bytes()), int64(buf.Len())) }()
	select {
	case <-done:
		t.Fatal("decoded while every slot was taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-decodeSlots
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("decode did not start when a slot was freed")
	}
	<-decodeSlots
}
