package handlers

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Supporting materials of a batch: upload (documents and images, checked by
// content), remove, and download for anyone whose scope includes the batch
// (attachment with the original name; images inline only for the preview).

func (s *Server) uploadMaterials(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	if _, _, err := s.ownEditable(c, b, "修改资料"); err != nil {
		return s.batchFail(c, b, err, "files", "materials", nil)
	}
	form, err := s.readUpload(c, materialsUpload, kindCounts(b.Files))
	defer form.close()
	if err != nil {
		var ue *uploadError
		if !errors.As(err, &ue) {
			return err
		}
		return s.renderBatch(c, fiber.StatusUnprocessableEntity, b, batchOpts{tab: "materials",
			errs: map[string]string{"": ue.msg, "files": ue.msg}})
	}
	n := len(form.files)
	nb, err := s.st.AddBatchFiles(actorOf(c), b.ID, form.files)
	if err != nil {
		return s.batchFail(c, b, err, "files", "materials", nil)
	}
	s.flash(c, fmt.Sprintf("已上传 %d 个文件，现有文档 %d 个、图片 %d 张。", n, len(nb.Docs()), len(nb.Images())))
	return s.redirect(c, "/batches/"+itoa(b.ID)+"?tab=materials")
}

func (s *Server) removeMaterial(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	f, ok := b.File(c.Params("file"))
	if !ok {
		return fiber.ErrNotFound
	}
	if _, err := s.st.RemoveBatchFile(actorOf(c), b.ID, f.Hash); err != nil {
		return s.batchFail(c, b, err, "files", "materials", nil)
	}
	s.flash(c, "已删除「"+f.Name+"」。")
	return s.redirect(c, "/batches/"+itoa(b.ID)+"?tab=materials")
}

func (s *Server) material(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, file, err := s.st.BatchFile(actorOf(c), id, c.Params("file"))
	if err != nil {
		return err
	}
	fh, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open material: %w", err)
	}
	setDownload(c, f.MIME, fileName{f.Name, "material-" + f.Hash[:12] + path.Ext(strings.ToLower(f.Name))}, f.IsImage() && c.Query("inline") == "1")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	// The whole answer is this file: no script may run in it, even when a
	// browser is led to open it directly.
	c.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	return c.SendStream(fh, int(f.Size))
}
