package main

// mutations are the bugs `make mutate` plants, one at a time. Each names the
// file, an exact snippet of today's code (it must occur once, or set all),
// its replacement, and the packages and tests that must catch it (kept
// narrow so the whole list runs in minutes). When the code moves or a file
// is split, update the snippet and the file here: the tool refuses to run,
// and TestMutationsMatchTheCode fails, while a snippet is missing.
var mutations = []mutation{
	// Login and credentials.
	{
		name: "lockout-after-6-failures",
		file: "store/users.go",
		from: "MaxFailures  = 5",
		to:   "MaxFailures  = 6",
		pkgs: []string{"./store", "./handlers"},
		run:  "Lockout|WrongCode",
	},
	{
		name: "lockout-for-10-minutes",
		file: "store/users.go",
		from: "LockDuration = 15 * time.Minute",
		to:   "LockDuration = 10 * time.Minute",
		pkgs: []string{"./store"},
		run:  "Lockout",
	},
	{
		name: "password-min-7",
		file: "auth/password.go",
		from: "if n < 8 || n > 64 {",
		to:   "if n < 7 || n > 64 {",
		pkgs: []string{"./auth"},
	},
	{
		name: "password-max-65",
		file: "auth/password.go",
		from: "if n < 8 || n > 64 {",
		to:   "if n < 8 || n > 65 {",
		pkgs: []string{"./auth"},
	},
	{
		name: "totp-hmac-sha256",
		file: "auth/totp.go",
		from: "otp.AlgorithmSHA1})",
		to:   "otp.AlgorithmSHA256})",
		all:  true,
		pkgs: []string{"./auth"},
	},
	{
		name: "totp-replay-same-step",
		file: "store/users.go",
		from: "if step <= u.TOTPLastStep {",
		to:   "if step < u.TOTPLastStep {",
		pkgs: []string{"./store"},
		run:  "TOTPStepReplay",
	},
	{
		name: "rate-limit-one-extra",
		file: "auth/limit.go",
		from: "if tat-now > l.burst {",
		to:   "if tat-now > l.burst+l.interval {",
		pkgs: []string{"./auth"},
		run:  "Limiter",
	},
	{
		name: "csrf-any-token",
		file: "handlers/middleware.go",
		from: `if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {`,
		to:   `if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(got)) != 1 {`,
		pkgs: []string{"./handlers"},
		run:  "CSRF",
	},

	// Scope.
	{
		name: "submit-skips-scope-recheck",
		file: "store/candidates.go",
		from: "if owner.Type != Province && !owner.Scope.Has(c.OccupationCode, c.Level) {",
		to:   "if false && owner.Type != Province && !owner.Scope.Has(c.OccupationCode, c.Level) {",
		pkgs: []string{"./store"},
		run:  "Submit",
	},
	{
		name: "submit-ignores-batch-problems",
		file: "store/batches.go",
		from: "} else if len(probs) > 0 {",
		to:   "} else if len(probs) > 5 {",
		pkgs: []string{"./store"},
		run:  "Submit",
	},
	{
		name: "scope-children-not-narrowed",
		file: "store/scope.go",
		from: "narrowed := intersect(k.Scope, sc)",
		to:   "narrowed := k.Scope",
		pkgs: []string{"./store"},
		run:  "Scope|Submit",
	},
	{
		name: "scope-beyond-parent",
		file: "store/scope.go",
		from: "if !subset(sc, within) {",
		to:   "if false && !subset(sc, within) {",
		pkgs: []string{"./store"},
		run:  "Scope",
	},
	{
		name: "batch-visible-outside-scope",
		file: "store/batches.go",
		from: "if !viewer.Contains(owner) {\n\t\treturn Batch{}, Org{}, fmt.Errorf(\"batch %d: %w\", id, ErrNotFound)",
		to:   "if false && !viewer.Contains(owner) {\n\t\treturn Batch{}, Org{}, fmt.Errorf(\"batch %d: %w\", id, ErrNotFound)",
		pkgs: []string{"./store"},
		run:  "BatchScope",
	},
	{
		name: "cert-visible-to-any-dept",
		file: "store/certificates.go",
		from: "if id == viewer.ID {",
		to:   "if id == viewer.ID || viewer.Type == Dept {",
		pkgs: []string{"./store"},
		run:  "CertificateDetailScope",
	},

	// Certificate numbers.
	{
		name: "serial-repeats-last-number",
		file: "store/segments.go",
		from: "first := sg.Current + 1",
		to:   "first := sg.Current",
		pkgs: []string{"./store"},
		run:  "IssueNumbers",
	},
	{
		name: "segment-current-lowered",
		file: "store/segments.go",
		from: "case current < sg.Current:",
		to:   "case current < sg.Current-1:",
		pkgs: []string{"./store"},
		run:  "RaiseSegment",
	},
	{
		name: "check-digit-table-swapped",
		file: "idcard/idcard.go",
		from: `return "10X98765432"[sum%11]`,
		to:   `return "10X98765423"[sum%11]`,
		pkgs: []string{"./store"},
		run:  "FixedID",
	},

	// Masking of personal data.
	{
		name: "id-mask-reveals-7-digits",
		file: "idcard/mask.go",
		from: `return string(r[:6]) + "********" + string(r[14:])`,
		to:   `return string(r[:7]) + "*******" + string(r[14:])`,
		pkgs: []string{"./idcard"},
		run:  "Mask",
	},
	{
		name: "phone-mask-reveals-4-digits",
		file: "idcard/mask.go",
		from: `return p[:3] + "****" + p[7:]`,
		to:   `return p[:4] + "***" + p[7:]`,
		pkgs: []string{"./idcard"},
	},
	{
		name: "verify-page-shows-full-id",
		file: "handlers/verify.go",
		from: "MaskedID: idcard.Mask(cert.IDNumber)",
		to:   "MaskedID: idcard.Normalize(cert.IDNumber)",
		pkgs: []string{"./handlers"},
		run:  "Verification|PrintedQR",
	},

	// Review rules.
	{
		name: "approve-with-marked-candidate",
		file: "store/batches.go",
		from: "if b.Marked > 0 && b.State.UnderReview() {",
		to:   "if b.Marked > 1 && b.State.UnderReview() {",
		pkgs: []string{"./store"},
		run:  "TestOnlyTheCurrentReviewer|TestRejectReasonAndMarks",
	},
	{
		name: "reject-without-reason",
		file: "store/batches.go",
		from: `case reason == "":`,
		to:   `case reason == "-":`,
		pkgs: []string{"./store"},
		run:  "TestOnlyTheCurrentReviewer|TestRejectReasonAndMarks",
	},
	{
		name: "any-org-reviews",
		file: "store/batches.go",
		from: "\tcase byReviewer:\n\t\tif reviewerIDTx(tx, b.State, owner) != a.OrgID {",
		to:   "\tcase byReviewer:\n\t\tif false && reviewerIDTx(tx, b.State, owner) != a.OrgID {",
		pkgs: []string{"./store"},
		run:  "TestOnlyTheCurrentReviewer|TestRejectReasonAndMarks",
	},

	// Printing and the pages a person sees (the browser tests are the net).
	{
		name: "qr-links-the-id-number",
		file: "handlers/cert_print.go",
		from: "VerifyURL: s.verifyURL(base, ct.Number)}",
		to:   "VerifyURL: s.verifyURL(base, ct.IDNumber)}",
		pkgs: []string{"./handlers"},
		run:  "PrintedQR",
	},
	{
		name: "review-image-viewer-broken",
		file: "views/reviews/batch.html",
		from: `<img src="/batches/{{$b.ID}}/materials/{{$img.Hash}}?inline=1" alt="{{$img.Name}}">`,
		to:   `<img src="/batches/{{$b.ID}}/materials/{{$img.Hash}}0?inline=1" alt="{{$img.Name}}">`,
		pkgs: []string{"./handlers"},
		run:  "TestBrowserProvincePages",
	},
	{
		name: "segments-page-500",
		file: "handlers/segments.go",
		from: "func (s *Server) segments(c *fiber.Ctx) error {\n",
		to:   "func (s *Server) segments(c *fiber.Ctx) error {\n\tif c.Method() == fiber.MethodGet {\n\t\treturn fiber.ErrInternalServerError\n\t}\n",
		pkgs: []string{"./handlers"},
		run:  "TestBrowserProvincePages",
	},
}
