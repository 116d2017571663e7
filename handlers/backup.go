package handlers

import (
	"bufio"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// backup streams a consistent hot backup (database and uploaded files) to
// the province's administrator.
func (s *Server) backup(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	actor := w.actor(c.IP())
	name := fmt.Sprintf("certreg-backup-%s.tar.gz", s.now().In(cst).Format("20060102-150405"))
	setDownload(c, "application/gzip", fileName{name, name}, false)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		if err := s.st.WriteBackup(actor, bw); err != nil {
			s.log.Error("backup", "err", err.Error())
		}
		_ = bw.Flush()
	})
	return nil
}
