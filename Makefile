# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: backup restore soak
.PHONY: run test install pipeline train shell lint unit safety validate nlu-eval conversations stories server-suites e2e channels web chromium web-test bench clean postgres storage-test migrate purge

.venv/bin/python:
	@PY310=$$(scripts/find_python310.sh) && echo "Creating .venv with $$PY310" && $$PY310 -m venv .venv
	$(PIP) install --quiet --upgrade "pip==24.0"

.venv/.installed: .venv/bin/python requirements.lock pyproject.toml
	$(PIP) install --quiet --no-deps -r requirements.lock
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PY) -c "import rasa, spacy, spacy_lookups_data, sqlalchemy, alembic; assert rasa.__version__ == '3.6.21'"
	@touch $@

install: .venv/.installed

pipeline: install
	$(PY) -m bot.nlp.pipeline

train: pipeline
	$(PY) -m bot.triage.cause_opinion
	$(PY) scripts/train_if_needed.py

WEB_SOURCES := $(wildcard web/src/*) web/package.json web/package-lock.json scripts/build_web.sh
build/web/index.html: $(WEB_SOURCES)
	scripts/build_web.sh
web: build/web/index.html

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

run: train web
	scripts/run.sh

# The action server needs its token: with_action_server.sh writes var/endpoints.local.yml.
shell: train
	scripts/with_action_server.sh $(PY) -m rasa shell --model models/$$(cat models/current) --endpoints var/endpoints.local.yml

lint: install
	.venv/bin/ruff check bot actions tests scripts migrations

unit: pipeline
	$(PY) -m pytest tests/unit tests/safety -q

# Warning signs (docs/safety.md): the first sets' gates, the issue's gates on the
# development set, and the blind set's table by clinical group (figures only here;
# tests/safety/test_safety_gates.py keeps them from falling).
safety: pipeline
	$(PY) -m tests.safety.evaluate
	$(PY) -m tests.safety.evaluate_groups --set dev
	$(PY) -m tests.safety.evaluate_groups --set blind --no-gate

validate: install
	$(PY) scripts/validate_data.py

nlu-eval: train
	$(PY) scripts/eval_nlu.py --model models/$$(cat models/current) --min-macro-f1 0.90

conversations: train
	scripts/with_action_server.sh $(PY) -m rasa test core --model models/$$(cat models/current) \
	  --stories tests/test_stories.yml --fail-on-prediction-errors --endpoints var/endpoints.local.yml --out results/core

e2e: train
	$(PY) -m pytest tests/e2e -q

# Whole runner stories (issue 14) through the real bot, blind set: the expected first
# cause in the top three (the issue's target is 85%; held at a no-regression floor until
# it is reached: docs/causes.md), median questions <= 6, no question asked twice.
stories: train
	$(PY) -m tests.triage.evaluate_stories --set blind --floor-top-three 0.72 --json results/stories/blind.json

channels: train
	$(PY) -m pytest tests/channels -q

web-test: train web chromium
	$(PY) -m pytest tests/web -q

# PostgreSQL binaries for the storage tests (the test fixture starts its own server).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	  echo "Installing PostgreSQL (Debian package) for the storage tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y postgresql; \
	  else sudo apt-get update && sudo apt-get install -y postgresql; fi; \
	fi

# Storage on SQLite and on a real PostgreSQL server: migrations, repository,
# restarts of both servers, returning runners, forget-me (tests/storage/).
storage-test: train postgres
	$(PY) -m pytest tests/storage -q

# Apply the migrations of the project's tables ($$DATABASE_URL or var/tracker.db).
migrate: install
	$(PY) -m bot.storage.migrate

# Backups (docs/operations.md): SQLite's online backup API or pg_dump, without stopping
# anything, into var/backups/ (BACKUP_DIR), newest 14 kept. Restore into a new or empty
# database: make restore FILE=var/backups/heavylegs-....db [DATABASE_URL=...] [FORCE=1]
BACKUP_DIR ?= var/backups
backup: install
	$(PY) -m bot.storage.backup backup --dir $(BACKUP_DIR)

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/heavylegs-... [FORCE=1]"; exit 2; }
	$(PY) -m bot.storage.backup restore "$(FILE)" $(if $(FORCE),--force,)

# Delete conversations and assessments older than DAYS days: make purge DAYS=180
purge: install
	@test -n "$(DAYS)" || { echo "usage: make purge DAYS=N"; exit 2; }
	$(PY) -m bot.storage.purge --days $(DAYS)

# The server-bound suites (e2e, channels, web, storage, robustness) run in two lanes side
# by side (scripts/lanes.py: each lane its own port range); `make e2e` etc. run one alone.
SERVER_LANES := --lane "tests/robustness tests/storage" --lane "tests/e2e tests/channels tests/web tests/ops"
server-suites: train web chromium postgres
	$(PY) scripts/lanes.py $(SERVER_LANES)

test: lint unit safety validate train nlu-eval conversations stories server-suites adversarial k8s-validate cluster-test
	@echo "make test: all checks passed"

clean:
	rm -rf build models results var .pytest_cache web/node_modules

.PHONY: robustness audit

# Hostile input through the REST webhook, the action server's token, failing parts,
# and hypothesis fuzzing of the parsers and the red-flag detector (tests/robustness/).
robustness: train
	$(PY) -m pytest tests/robustness -q

# Worst-case time of the parsers on hostile messages; fails over the budget (docs/linear_time.md).
adversarial: pipeline
	$(PY) scripts/bench_adversarial.py --gate-red-flags

# Known vulnerabilities of the pins in requirements.lock (pip-audit in build/audit-venv;
# needs network access to PyPI's JSON API, so not part of `make test`). docs/security.md.
audit:
	scripts/audit.sh

# --- Past one machine (docs/deployment.md) ---
.PHONY: redis nginx cluster cluster-down cluster-test k8s-validate

# Debian's redis-server and nginx for the cluster tests and `make cluster`.
redis:
	@command -v redis-server >/dev/null || ls /usr/bin/redis-server >/dev/null 2>&1 || { \
	  echo "Installing redis-server (Debian package)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y redis-server; \
	  else sudo apt-get update && sudo apt-get install -y redis-server; fi; }

nginx:
	@command -v nginx >/dev/null || ls /usr/sbin/nginx >/dev/null 2>&1 || { \
	  echo "Installing nginx (Debian package)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y nginx; \
	  else sudo apt-get update && sudo apt-get install -y nginx; fi; }

# The atomic Redis lock store (real redis-server), two Rasa replicas on one PostgreSQL
# with concurrent messages, and `make cluster` itself (tests/cluster/).
cluster-test: train web redis nginx postgres
	$(PY) -m pytest tests/cluster -q --deselect tests/cluster/test_manifests.py

# deploy/k8s/ against the Kubernetes 1.28 schemas (offline) and the topology's rules.
k8s-validate: install
	$(PY) -m pytest tests/cluster/test_manifests.py -q

# nginx on 127.0.0.1:$${CLUSTER_PORT:-8088} in front of $${RASA_REPLICAS:-2} Rasa replicas and
# $${ACTION_REPLICAS:-2} action servers, PostgreSQL + Redis, data under var/cluster/.
cluster: train web redis nginx postgres
	scripts/cluster_up.sh

cluster-down:
	scripts/cluster_down.sh

# The local cluster at half its measured capacity for 30 minutes (CLUSTER_SOAK_ARGS="--minutes 5"
# for less): 0 errors, p95 and every process's memory and open files steady;
# results/soak/ (soak.md, soak.json, soak.png). make test runs a 45-second smoke of it.
soak: train web redis nginx postgres
	$(PY) scripts/soak.py $(CLUSTER_SOAK_ARGS)

# --- Measured speed (docs/performance.md) ---
.PHONY: bench bench-profile

# Simulated runners through the REST webhook at 1, 5, 10, 20 and 50 concurrent runners
# (plus a saturation level) for a bare `rasa init` bot, this bot on SQLite, and the local
# cluster with 1 and 2 replicas: results/bench/bench.md, bench.json, bench.png. Figures only.
bench: train web redis nginx postgres
	$(PY) scripts/bench.py $(BENCH_ARGS)

# Where a turn's time goes: py-spy on the Rasa server and the action server under load.
bench-profile: train
	$(PY) scripts/bench_profile.py $(BENCH_ARGS)

# --- Bounded resources (docs/security.md) ---
.PHONY: soak-vocab

# 10,000 messages of random words through a real bot's REST webhook: the Rasa process's
# resident memory and turn latency every 1,000 (about an hour; not part of `make test`).
soak-vocab: train
	$(PY) scripts/soak_vocab.py $(SOAK_ARGS)
