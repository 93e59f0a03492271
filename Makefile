# thresher developer commands. `make help` lists them.
PYTHON ?= python3
# One optimised profile for the extension and the Rust tests, so that CI compiles the
# dependencies once (a full LTO release build is for wheels, see pyproject.toml).
PROFILE ?= dev-opt

.PHONY: help install browser test test-rust test-python lint bench bench-sample bench-dedup bench-kmeans bench-gme bench-quadmix bench-smote bench-shapley demo

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install:  ## install thresher (editable) with its test and lint dependencies
	$(PYTHON) -m pip install --quiet maturin
	$(PYTHON) -m pip install --quiet -e '.[test,lint]' -C build-args="--profile $(PROFILE)"

test: install browser test-rust test-python lint-quick  ## install, then run every test (Rust and Python)

# Debian's chromium, for the report's browser test (tests/test_report_browser.py), when it
# is missing and apt-get can run (as root); otherwise say how, and the test skips.
browser:  ## install Debian's chromium for the report's browser test, if missing
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing: run 'apt-get install chromium' as root (the browser test skips)"; \
	  fi; }

test-rust:  ## Rust unit and property tests of the core crate
	cargo test --profile $(PROFILE) -p thresher-core

test-python:  ## pytest: tests/ and the docstring examples (exit code 5, no test, fails)
	$(PYTHON) -m pytest -q -p no:cacheprovider

lint-quick:  ## formatting, ruff, mypy and the stub check (no extra compilation)
	cargo fmt --all -- --check
	$(PYTHON) -m ruff check python tests benches scripts examples
	$(PYTHON) -m ruff format --check python tests benches scripts examples
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest thresher._core --allowlist .ci/stubtest-allowlist

lint: lint-quick  ## everything in lint-quick plus clippy
	cargo clippy --workspace --all-targets -- -D warnings

demo:  ## install thresher and run the demo
	$(PYTHON) -m pip install --quiet .
	thresher demo

bench:  ## the DSIR benchmark against data-selection (slow: ~10 minutes)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_dsir.py

bench-sample:  ## sampling kernels against numpy, polars and pandas (~3 minutes, ~4 GB RAM)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_sample.py

bench-dedup:  ## near-duplicate removal against datasketch and rensa (~1 minute)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_dedup.py

bench-kmeans:  ## k-means against faiss-cpu and scikit-learn (slow: an hour or more)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_kmeans.py

.PHONY: bench-ray
bench-ray:  ## thresher on a local Ray instance vs the local run (~3 minutes)
	$(PYTHON) -m pip install --quiet -e '.[bench,ray]'
	$(PYTHON) benches/bench_ray.py

bench-gme:  ## GME against a numpy implementation of the same formulas (~1 minute)
	$(PYTHON) benches/bench_gme.py

bench-quadmix:  ## QuaDMix sampling against numpy and polars on 1e7 documents (~6 minutes)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_quadmix.py

bench-smote:  ## SMOTE against imbalanced-learn (slow: ~15 minutes, the peer at 1e6 rows)
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benches/bench_smote.py

bench-shapley:  ## K-NN Shapley values against numpy implementations (~5 minutes)
	$(PYTHON) benches/bench_shapley.py
