package handlers

import (
	"io"
	"log/slog"
	"time"

	"certreg/auth"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func authHash(pw string) (string, error) { return auth.HashPassword(pw) }

func totpCode(secret string, t time.Time) string { return auth.Code(secret, t) }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
