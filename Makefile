# faxd — build, test, benchmark and demo entry points. Every target installs the system packages it
# needs first (Debian: librdkafka-dev, libcurl4-openssl-dev, libjemalloc-dev, kcat; for the examples python3-venv, jq, uuid-runtime,
# libssl-dev, golang-go, golang-github-shopify-sarama-dev).

SWIFT ?= swift
APT_PACKAGES := librdkafka-dev libcurl4-openssl-dev libjemalloc-dev kcat python3-venv jq uuid-runtime libssl-dev golang-go golang-github-shopify-sarama-dev chromium curl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build format lint test test-venv deploy-check schema-check image bench bench-backlog bench-readiness fuzz fuzz-build fuzz-merge soak demo clean

## deps: install the missing system packages (non-interactive apt-get; runs `apt-get update` first)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: debug build of everything
build: deps
	$(SWIFT) build

## format: the tree formatted by .swift-format (swift-nio's style: 4 spaces, ordered imports; lines up to 140)
SWIFT_SOURCES := Sources Tests Benchmarks Package.swift
format:
	$(SWIFT) format format --in-place --parallel --recursive $(SWIFT_SOURCES)

## lint: the tree checked against .swift-format, every rule an error (CI runs it first)
lint:
	$(SWIFT) format lint --strict --parallel --recursive $(SWIFT_SOURCES)

## test: the whole suite (deploy/ checked; unit, Kafka against librdkafka's mock cluster, HTTP, end to end with processes;
## then every status and usage event the end-to-end runs produced, validated against schema/)
## A crash of the test process ends the log with what it printed last and the crashed thread's
## frames (Sources/CTestSupport/CrashFrames.c) in place of Swift's backtracer, which cannot unwind
## past abort() here and fills the log's end with registers and images.
TEST_VENV := .build/test-venv
EVENTS_DIR := .build/e2e-events
test: deps deploy-check schema-check
	$(SWIFT) build --build-tests
	rm -rf $(EVENTS_DIR)
	SWIFT_BACKTRACE=enable=no FAXD_TEST_CRASH_FRAMES=1 FAXD_E2E_EVENTS_DIR=$(CURDIR)/$(EVENTS_DIR) $(SWIFT) test --skip-build
	$(TEST_VENV)/bin/python schema/validate_events.py $(EVENTS_DIR)

## test-venv: the Python packages the checks use (Tests/requirements.txt), in a venv of their own
test-venv:
	@[ -x $(TEST_VENV)/bin/python ] || python3 -m venv $(TEST_VENV)
	@$(TEST_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt

## deploy-check: deploy/ validated offline (Kubernetes schemas, Compose, Dockerfile)
deploy-check: test-venv
	$(TEST_VENV)/bin/python deploy/validate.py
	$(TEST_VENV)/bin/python deploy/test_validate.py

## schema-check: schema/asyncapi.yaml in step with the topics of docs/design.md and the JSON Schemas
schema-check: test-venv
	$(TEST_VENV)/bin/python schema/test_asyncapi.py

## image: the container image faxd:dev (needs a Docker engine; deploy/Dockerfile)
image:
	docker build -f deploy/Dockerfile -t faxd:dev .

## bench: release-build benchmarks; results are printed and written to docs/benchmarks.md by hand
bench: deps test-venv
	$(SWIFT) build -c release --product faxd-bench
	$(SWIFT) build -c release --product faxd
	.build/release/faxd-bench

## bench-backlog: peak RSS of one release `faxd worker` working off FAXD_BENCH_BACKLOG jobs (1,000,000)
bench-backlog: deps
	$(SWIFT) build -c release --product faxd-bench
	$(SWIFT) build -c release --product faxd
	.build/release/faxd-bench backlog

## bench-readiness: a fresh release `faxd worker`'s time to ready with FAXD_BENCH_HISTORY historic events
## (0,100000,1000000) on the result topics, and its job ledger's memory at FAXD_BENCH_LEDGER_JOBS (1,000,000)
bench-readiness: deps
	$(SWIFT) build -c release --product faxd-bench
	$(SWIFT) build -c release --product faxd
	.build/release/faxd-bench readiness

## fuzz: every fuzz target (Sources/FaxdFuzzTargets) under libFuzzer with AddressSanitizer for FUZZ_SECONDS (600)
## each, from its seed corpus in Tests/FuzzCorpus; new inputs go to .build-fuzz/corpus, findings to .build-fuzz/findings
## (`make test` runs every corpus file through its target in FuzzCorpusTests; docs/reliability.md)
FUZZ_TARGETS := job-record webhook-delivery sandbox-multipart mintfax-response worker-configuration tenants-file ledger-entry
FUZZ_SECONDS ?= 600
FUZZ_BUILD := .build-fuzz
FUZZER := $(FUZZ_BUILD)/release/faxd-fuzz
fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$target $(FUZZ_BUILD)/findings/$$target; \
		log=$(FUZZ_BUILD)/$$target.log; \
		echo "make fuzz: $$target for $(FUZZ_SECONDS) s (log $$log)"; \
		SWIFT_BACKTRACE=enable=no $(FUZZER) $$target $(FUZZ_BUILD)/corpus/$$target Tests/FuzzCorpus/$$target -max_total_time=$(FUZZ_SECONDS) \
			-max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/findings/$$target/ > $$log 2>&1; status=$$?; \
		grep -E "INITED|DONE|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|SUMMARY|Fatal error" $$log; \
		[ $$status = 0 ] || { echo "make fuzz: $$target failed (exit $$status): see $$log and $(FUZZ_BUILD)/findings/$$target"; exit 1; }; \
	done

## fuzz-build: faxd-fuzz instrumented for libFuzzer and AddressSanitizer, in a build folder of its own
fuzz-build: deps
	$(SWIFT) build -c release --product faxd-fuzz --scratch-path $(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer,address \
		-Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld

## fuzz-merge: the inputs `make fuzz` found that add coverage, merged into the committed corpus
fuzz-merge: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		log=$(FUZZ_BUILD)/$$target.merge.log; \
		SWIFT_BACKTRACE=enable=no $(FUZZER) $$target -set_cover_merge=1 -max_len=16384 Tests/FuzzCorpus/$$target $(FUZZ_BUILD)/corpus/$$target >$$log 2>&1 \
			|| { echo "make fuzz-merge: $$target failed (log $$log)"; exit 1; }; \
		if grep -q "MERGE-OUTER: attempt 2" $$log; then echo "make fuzz-merge: an input stopped $$target's merge run (log $$log)"; exit 1; fi; \
		echo "$$target: $$(grep -E 'MERGE-OUTER: [0-9]+ new files' $$log)"; \
	done

## soak: FAXD_SOAK_JOBS (100000) jobs over 4 release workers on faxd broker under scripted faults, then the
## checker (Tests/FaxdEndToEndTests/SoakProcessTests.swift; figures in docs/reliability.md)
FAXD_SOAK_JOBS ?= 100000
soak: deps
	$(SWIFT) build -c release --product faxd
	$(SWIFT) build --build-tests
	FAXD_BINARY=$(CURDIR)/.build/release/faxd FAXD_SOAK_JOBS=$(FAXD_SOAK_JOBS) $(SWIFT) test --skip-build --filter SoakProcessTests

## demo: faxd on its embedded default
demo: deps
	$(SWIFT) build --product faxd
	.build/debug/faxd dev

clean:
	rm -rf .build
