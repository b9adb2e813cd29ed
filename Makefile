# Two commands for people: `make serve` and `make test`. Both install what is missing first.
SHELL := /bin/bash
WASM_BINDGEN_VERSION := 0.2.130
CRATE := blackbox_playground
WASM_OPT ?= node_modules/.bin/wasm-opt
WASM_OPT_FLAGS ?= -O3
PORT ?= 8000
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CHROMIUM_PATH ?= /usr/bin/chromium

.PHONY: setup setup-browser setup-browsers test-browsers build wasm wasm-session wasm-diagnose wasm-page bundle serve test test-native test-js test-wasm test-e2e lint lint-js bench fmt clean screenshots

## setup: Rust target and tools, npm packages (idempotent).
setup:
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
	  echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 2 minutes, once)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi
	@if [ ! -d node_modules/playwright-core ] || [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

## setup-browser: Debian's Chromium and ChromeDriver for the browser tests (and python3, which
## runs the exported Python policy in an e2e test).
setup-browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! command -v python3 >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver python3; fi

## setup-browsers: the other engines of the smoke tests: Debian's Firefox ESR (driven over
## WebDriver BiDi by puppeteer-core) and WebKitGTK's MiniBrowser with WebKitWebDriver, under Xvfb.
setup-browsers:
	@if [ ! -x /usr/bin/firefox-esr ] || [ ! -x /usr/bin/WebKitWebDriver ] || ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends firefox-esr webkit2gtk-driver xvfb xauth; fi

## build: leaves a static site in www/ (www/pkg and the editor bundle are generated).
build: setup wasm bundle

## wasm: the core for the browser, built three times, once per part of the boundary (feature
## `session` for the runs' workers, `diagnose` for Diagnose F's worker, loaded when it is first
## pressed, `page` for the charts and share links), so that each .wasm carries only its part's
## code. simd128 comes from .cargo/config.toml; then wasm-bindgen and
## binaryen's wasm-opt (npm package `binaryen`, installed by setup: Debian's binaryen 108
## writes wasm-bindgen's externref table as anyref, which the glue then fails on).
## Measured by `make bench`: docs/speed.md.
WASM_PARTS := session diagnose page
wasm: $(WASM_PARTS:%=wasm-%)

# Cargo profile and wasm-opt level per part: the workers' code for speed, the page's for size
# (Cargo.toml).
PROFILE_session := release
PROFILE_diagnose := release
PROFILE_page := wasm-page
WASM_OPT_FLAGS_session := $(WASM_OPT_FLAGS)
WASM_OPT_FLAGS_diagnose := $(WASM_OPT_FLAGS)
WASM_OPT_FLAGS_page := -Oz
# session and diagnose share cargo's output file (same target and profile): never at once.
wasm-diagnose: | wasm-session
$(WASM_PARTS:%=wasm-%): wasm-%:
	cargo build --lib --profile $(PROFILE_$*) --target wasm32-unknown-unknown --no-default-features --features $*
	@mkdir -p target/wasm-parts www/pkg
	cp target/wasm32-unknown-unknown/$(PROFILE_$*)/$(CRATE).wasm target/wasm-parts/$*.wasm
	wasm-bindgen --target web --no-typescript --out-dir target/wasm-bindgen --out-name $* target/wasm-parts/$*.wasm
	cp target/wasm-bindgen/$*.js www/pkg/
	$(WASM_OPT) $(WASM_OPT_FLAGS_$*) target/wasm-bindgen/$*_bg.wasm -o www/pkg/$*_bg.wasm
	@echo "www/pkg/$*_bg.wasm: $$(stat -c %s www/pkg/$*_bg.wasm) bytes, gzip -9: $$(gzip -9 -c www/pkg/$*_bg.wasm | wc -c) bytes"

## bundle: the editor (CodeMirror 6) and the worker. The worker's modules (www/worker/) become
## ONE classic script, www/worker.bundle.js (the sandbox starts it as a classic blob worker),
## not minified: the worker finds the user's frames in a stack by a function's name.
bundle:
	npx esbuild www/editor-src.js --bundle --minify --format=esm --log-level=warning --outfile=www/editor.bundle.js
	npx esbuild www/worker/main.js --bundle --format=iife --log-level=warning --outfile=www/worker.bundle.js

serve: build
	@echo "Serving the playground on http://127.0.0.1:$(PORT)/"
	python3 -m http.server $(PORT) --bind 127.0.0.1 --directory www

## test: every test, from a fresh machine.
test: setup setup-browser setup-browsers lint test-native test-js build test-wasm test-e2e test-browsers

lint: lint-js lint-paths lint-circles lint-size lint-tables
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

## lint-tables: the worker's pow and exp tables are what their generator writes.
.PHONY: lint-tables
lint-tables:
	@python3 src/js_math/make_tables.py | diff -q - src/js_math/tables.rs >/dev/null \
	  || { echo "src/js_math/tables.rs is not what src/js_math/make_tables.py writes: run it again"; exit 1; }

## lint-paths: every repo path named in README.md and docs/*.md exists (tests/lint/paths.mjs).
.PHONY: lint-paths
lint-paths:
	node tests/lint/paths.mjs

## lint-size: no hand-written source file in src/ or www/ over 700 lines (www/schema.js is
## generated from the core's tables; www/pkg and the bundles are not in git).
.PHONY: lint-size
lint-size:
	@long=$$(git ls-files 'src/*.rs' 'src/**/*.rs' 'www/*.js' 'www/**/*.js' 'www/*.css' 'www/*.html' \
	  | grep -v '^www/schema\.js$$' | xargs wc -l | awk '$$2 != "total" && $$1 > 700'); \
	if [ -n "$$long" ]; then echo "Over 700 lines; split by concern:"; echo "$$long"; exit 1; fi

## lint-circles: no import circle among the ES modules in www/ (dpdm, an npm devDependency; the
## generated www/pkg and bundles are left out). The page's state lives in www/app/state.js,
## shared helpers sit below their users, and app.js wires the rest.
.PHONY: lint-circles
lint-circles: setup
	npx dpdm --no-tree --no-warning --circular --exit-code circular:1 --progress=false \
	  --exclude '/pkg/|\.bundle\.js$$|node_modules' 'www/**/*.js'

## lint-js: type-checks the JavaScript from its JSDoc types (TypeScript's checker, no build
## step): the page, the worker and the tests, each with its own globals.
lint-js: setup
	npx tsc --noEmit -p jsconfig.json
	npx tsc --noEmit -p jsconfig.worker.json
	npx tsc --noEmit -p tests/jsconfig.json

test-native:
	cargo test --release

## test-js: node's unit tests of the page's pure modules (no browser).
test-js:
	node --test tests/js/

test-wasm:
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --release --target wasm32-unknown-unknown --test wasm

test-e2e:
	node --test --test-concurrency=1 tests/e2e/

## test-browsers: smoke tests in Firefox ESR and WebKitGTK against Chromium (tests/browsers).
test-browsers: setup-browsers
	xvfb-run -a node --test --test-concurrency=1 tests/browsers/

## bench: one table, against plain JS, TF.js (cpu, wasm) and native Rust (about 3 minutes after the build).
bench: setup-browser build
	cargo build --release --bin bench
	node tests/bench/run.mjs

## screenshots: the README's pictures of the page, at 1280 and 400 px.
screenshots: build setup-browser
	node tests/e2e/screenshots.mjs

fmt:
	cargo fmt

clean:
	rm -rf target www/pkg www/editor.bundle.js www/worker.bundle.js node_modules
