#!/usr/bin/env bash
# Runs the unit tests (vitest.config.ts, as `npm test`) under other Node majors, taking each Node
# binary from the npm registry's node-<platform>-<arch> package installed to /tmp/l2tp-node<MAJOR>.
# The binary goes first on PATH, so vitest, its workers and every child process (npm, the
# examples) run on it. Each run writes vitest-report-node<MAJOR>.json for the CI closing line.
#   scripts/node-matrix.sh install 22 24   # fetch the binaries (idempotent)
#   scripts/node-matrix.sh test 22 24      # install if needed, then run the unit tests
# Exit status: non-zero when any install or test run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
shift || true
if [ "$mode" != install ] && [ "$mode" != test ] || [ $# -eq 0 ]; then
  echo "usage: $0 install|test MAJOR..." >&2
  exit 2
fi

pkg="node-$(node -p 'process.platform + "-" + process.arch')"
status=0

install() {
  local prefix=/tmp/l2tp-node$1
  if [ -x "$prefix/node_modules/$pkg/bin/node" ]; then return 0; fi
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix "$prefix" "$pkg@$1"
}

for major in "$@"; do
  if ! install "$major"; then
    echo "node-matrix: could not install $pkg@$major" >&2
    status=1
    continue
  fi
  [ "$mode" = test ] || continue
  bin=/tmp/l2tp-node$major/node_modules/$pkg/bin
  echo "::: unit tests on Node $("$bin/node" --version)"
  rm -f "vitest-report-node$major.json"
  PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run \
    --reporter=default --reporter=json --outputFile.json="vitest-report-node$major.json" ||
    status=1
done
exit $status
