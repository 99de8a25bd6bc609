#!/usr/bin/env bash
# Run meshlite's whole test suite on a fresh machine: install what the tests need (idempotent),
# build, then run every test. Set MESHLITE_ISTIO_FIXTURES to a folder holding Istio's samples/,
# inject/ and analysis/ to include the checks against Istio's own files.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

# kubectl: the tests drive the machine's kubectl against meshlite. Install Debian's when none is there.
if ! command -v kubectl >/dev/null 2>&1; then
  say "installing kubectl (Debian's kubernetes-client)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq kubernetes-client >/dev/null
fi
say "kubectl: $(command -v kubectl)"

if [[ -z "${MESHLITE_ISTIO_FIXTURES:-}" ]]; then
  echo "!! MESHLITE_ISTIO_FIXTURES is not set: the checks against Istio's own samples will not run."
else
  say "Istio fixtures: $MESHLITE_ISTIO_FIXTURES"
fi

say "format"
cargo fmt --all -- --check

say "build"
cargo build --locked --all-targets

say "clippy"
cargo clippy --all-targets --locked -- -D warnings

say "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
