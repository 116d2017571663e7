# 合格证登记系统 — the commands a newcomer guesses.
GO      ?= go
BIN     ?= bin/certreg
DATA    ?= ./data
PKGS    := ./...
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build test test-short bench load lint fuzz mutate clean

## run: build and start at http://localhost:8080 with the demo province (first start)
run: build
	./$(BIN) -demo -data $(DATA) -addr :8080

## build: one static binary with everything embedded
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) .

## test: every test, with the race detector, including the browser tests
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## test-short: the fast tests only (no browser, no crash loops)
test-short:
	$(GO) test -short -count=1 $(PKGS)

## bench: the speed targets
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

## load: wrk against the server on the benchmark world (LOAD_CERTS, default two million), pages as shares of a hello-world
LOAD_CERTS ?= 2000000
load: build
	$(GO) run ./scripts/load -bin $(BIN) -n $(LOAD_CERTS) $(LOAD_FLAGS)

## mutate: plant each bug of cmd/mutate/mutations.go in a copy and check the tests catch it
mutate:
	$(GO) run ./cmd/mutate

## fuzz: a short run of every fuzz target
fuzz:
	@for t in $$($(GO) test -list 'Fuzz.*' ./idcard ./candidate ./sheets 2>/dev/null | grep ^Fuzz); do \
		pkg=$$(grep -l "func $$t" idcard/*_test.go candidate/*_test.go sheets/*_test.go | head -1 | xargs dirname); \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 20s ./$$pkg || exit 1; done

## lint: formatting, vet and a tidy module
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	$(GO) mod tidy -diff

clean:
	rm -rf bin
