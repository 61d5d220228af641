#!/usr/bin/env bash
# Mutation check: plants each curated bug (tools/mutants.py) one at a time
# and fails if the unit tests for it still pass. Runs in CI after the suite.
#
#   tools/mutants.sh            # every mutant
#   tools/mutants.sh --list     # what they are
#   tools/mutants.sh NAME ...   # some
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec /usr/bin/python3 tools/mutants.py "$@"
