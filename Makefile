# defi-int: every target installs what it needs first.
#   make demo   - set up and run the main job on the embedded chain
#   make test   - set up and run the whole suite (contract artifact check and anvil tests included)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := contracts/node_modules/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install browser demo bot-demo test test-fast soak contracts contracts-check gas-snapshot bench bench-run bench-million bench-toxicity bench-bot bench-sweep experiment experiment-toxicity lint openapi docs docs-check docs-site docs-serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NODE_STAMP): contracts/package.json contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/defi-int run scripts/scenarios/basic.toml --out out/demo

# The keeper bot on a local anvil for about a minute: deploy, keeper, traders, a SIGKILL and a
# restart, the report in out/bot-demo/report/, the audit ("0 double fills, 0 lost orders").
bot-demo: $(STAMP) $(NODE_STAMP)
	$(BIN)/python scripts/bot_demo.py

# Debian's chromium, which the reports' browser test opens report.html in (headless, offline):
# installed when missing and this is root on a Debian-like machine; otherwise said, and that one
# test is skipped (under CI=true it fails instead).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found (apt-get install chromium): the report's browser test is skipped"; fi; }

test: $(STAMP) $(NODE_STAMP) contracts-check browser
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The soak set (never in make test): 50 SIGKILLs at each stage, RPC chaos over 1,000 batches,
# 10,000 API requests from the OpenAPI document (schemathesis); every run ends with the audit.
soak: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n 2 -m soak -rP $(PYTEST_ARGS)

# The suite without the anvil tests, for quick local runs.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not node" $(PYTEST_ARGS)

contracts: $(NODE_STAMP)
	cd contracts && node build.js

contracts-check: $(NODE_STAMP)
	cd contracts && node build.js --check

gas-snapshot: $(STAMP)
	$(BIN)/python -m defi_int.gas --update

bench: $(STAMP)
	$(BIN)/python scripts/bench_settle.py

# Whole scenario runs: basic.toml and the 10,000-order bench_10k.toml (several minutes).
bench-run: $(STAMP)
	$(BIN)/python scripts/bench_run.py

# One million orders: bench_10k.toml over 100,000 steps on the default backend only (about 17 minutes
# of one core); prints the time per order and the peak RSS (the records stream to disk), writes JSON.
bench-million: $(STAMP)
	$(BIN)/python scripts/bench_run.py scripts/scenarios/bench_10k.toml --set steps=100000 --no-reference --json out/bench_million.json

# The internalization decision's cost (issue 14, section 7): feature computation, predict and update per
# order for every toxicity model (p50/p99, wall and CPU time), then bench_10k.toml with gbdt against none on
# the default backend, interleaved twice (orders/s; the bound: gbdt loses at most 15 %).
bench-toxicity: $(STAMP)
	$(BIN)/python scripts/bench_toxicity.py --json out/bench_toxicity.json
	$(BIN)/python scripts/bench_run.py scripts/scenarios/bench_10k.toml --policies none,gbdt --repeat 4 --json out/bench_decision.json

# A sweep of 8 cells x 20 seeds of basic.toml on Dask against a process pool, 1 and 2 workers (about 20 min).
bench-sweep: $(STAMP)
	$(BIN)/python scripts/bench_sweep.py --json out/bench_sweep.json

# The Avellaneda-Stoikov (2008) table through the project: 2,800 runs on chain (22 min measured with 2 workers on the 2-core machine).
experiment: $(STAMP)
	$(BIN)/defi-int experiment avellaneda-stoikov --out out/avellaneda-stoikov

# The internalization decision on held-out flow: none, trader_rule, logistic and gbdt on the shipped cases,
# tuned on 2 seeds and judged on 10 others per case (docs/quant/toxicity.md).
experiment-toxicity: $(STAMP)
	$(BIN)/defi-int experiment toxicity --seeds 10 --tune-seeds 2 --out out/toxicity

# The keeper bot on a local anvil: an intake burst, the traders' sustained load, the whole run (orders/s,
# fills/s POST to confirmed, latency per phase, CPU per fill, the load average, the audit; --profile,
# --block-time S, --json PATH).
bench-bot: $(STAMP) $(NODE_STAMP)
	$(BIN)/python scripts/bench_bot.py

# The order API's OpenAPI document, committed as docs/openapi.json (a test fails when it is stale).
openapi: $(STAMP)
	$(BIN)/python -m defi_int.bot.openapi docs/openapi.json

# The site's generated reference pages (docs/reference/: the CLI, parameters, errors and reasons, report
# fields, execution definitions, contracts, gas, fixtures, the order API), each from the code that owns
# it; committed, and a test fails when one is stale. docs/openapi.json is regenerated first.
docs: openapi
	$(BIN)/python -m defi_int.reference docs

# Fails naming each reference page whose committed text is not what the code gives now (as
# contracts-check does for the artifacts; tests/docs/test_reference_pages_current.py does the same).
docs-check: $(STAMP)
	$(BIN)/python -m defi_int.reference --check docs

# The documentation site built into out/site (what the suite builds with --strict), and served with live
# reload at http://127.0.0.1:8000 (MkDocs and Material are pinned in pyproject.toml's test extra).
docs-site: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir out/site

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: $(STAMP)
	$(BIN)/ruff check defi_int tests scripts
	$(BIN)/ruff format --check defi_int tests scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) contracts/node_modules
