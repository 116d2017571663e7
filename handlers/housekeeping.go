package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// housekeeping is what the server does on its own while it runs: writing the
// summaries of refused requests once their minute is over, and once a day
// archiving operation-log entries past the retention setting. It stops when
// the application shuts down.
func (s *Server) startHousekeeping(app *fiber.App) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	app.Hooks().OnShutdown(func() error {
		cancel()
		<-done
		s.denials.tick(s.now().Add(time.Minute))
		return nil
	})
	go func() {
		defer close(done)
		minute := time.NewTicker(time.Minute)
		defer minute.Stop()
		var lastPrune time.Time
		for {
			now := s.now()
			if now.Sub(lastPrune) >= 24*time.Hour || now.Before(lastPrune) {
				lastPrune = now
				s.pruneLogs()
			}
			select {
			case <-ctx.Done():
				return
			case <-minute.C:
				s.denials.tick(s.now())
			}
		}
	}()
}

func (s *Server) pruneLogs() {
	n, file, err := s.st.PruneLogs()
	switch {
	case err != nil:
		s.log.Error("archive operation log", "err", err.Error(), "archived", n)
	case n > 0:
		s.log.Info("archived operation log", "entries", n, "file", file)
	}
}
