package handlers

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// What every audience of a business sees (the applicant, its reviewers and
// the province's overview): the certificate, the submitted values old → new,
// the reason, the proofs in an image viewer and the review log; and the
// proof images themselves, for whoever may see the business (the store's
// scope: the applicant and the organisations above it).

// bizDetail is the shared part of the business pages.
type bizDetail struct {
	Biz      store.Business
	Cert     *store.Certificate // the certificate now, when the caller may see it
	CertURL  string             // its page, when the caller may open it
	NewURL   string             // a reissue's new certificate
	Base     string             // this page, for the viewer's links
	Image    int                // the proof shown large (1-based; 0 none)
	Changes  []bizChange
	Reviewed time.Time // the last review of the current round
}

// bizChange is one field of a 变更: the value on the certificate when it
// was applied for and the value asked for ("" = unchanged).
type bizChange struct {
	Label, Old, New string
	Mono            bool
}

func (s *Server) loadBizDetail(c *fiber.Ctx, w *who, b store.Business, base string) (bizDetail, error) {
	d := bizDetail{Biz: b, Base: base, Reviewed: bizReviewed(b)}
	d.Image, _ = strconv.Atoi(c.Query("img"))
	if d.Image < 0 || d.Image > len(b.Proofs) {
		d.Image = 0
	}
	cert, err := s.st.Certificate(w.org, b.Number)
	switch {
	case err == nil:
		d.Cert = &cert
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	if w.can(store.CapCertView) {
		d.CertURL = "/certificates/" + b.Number
		if b.NewNumber != "" {
			d.NewURL = "/certificates/" + b.NewNumber
		}
	}
	if b.Kind == store.BizChange {
		d.Changes = []bizChange{
			{Label: "姓名", Old: b.Old.Name, New: b.New.Name},
			{Label: "身份证号", Old: b.Old.IDNumber, New: b.New.IDNumber, Mono: true},
		}
		if b.New.IDNumber != "" && b.New.Gender != b.Old.Gender {
			d.Changes = append(d.Changes, bizChange{Label: "性别", Old: b.Old.Gender, New: b.New.Gender})
		}
		d.Changes = append(d.Changes, bizChange{Label: "工作单位", Old: b.Old.WorkUnit, New: b.New.WorkUnit})
	}
	return d, nil
}

// bizReviewed is the time of the last review of the business's current
// round (zero when the round has not been reviewed yet).
func bizReviewed(b store.Business) time.Time {
	if b.Reviewed.IsZero() || b.Reviewed.Before(b.Submitted) {
		return time.Time{}
	}
	return b.Reviewed
}

// bizOf loads the business named by :id if the caller may see it.
func (s *Server) bizOf(c *fiber.Ctx) (store.Business, error) {
	id, err := idParam(c)
	if err != nil {
		return store.Business{}, err
	}
	return s.st.Business(actorOf(c), id)
}

// bizProof answers a proof image inline for <img>, like batch materials:
// its own type, nosniff and a sandbox.
func (s *Server) bizProof(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, file, err := s.st.BusinessProof(actorOf(c), id, c.Params("hash"))
	if err != nil {
		return err
	}
	fh, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open proof: %w", err)
	}
	setDownload(c, f.MIME, fileName{f.Name, "proof-" + f.Hash[:12] + path.Ext(strings.ToLower(f.Name))}, true)
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	c.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	return c.SendStream(fh, int(f.Size))
}
