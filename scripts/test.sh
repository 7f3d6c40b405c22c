#!/usr/bin/env bash
# Runs every test: brings the local servers up (scripts/env.sh), builds, then runs the pure
# tests and the integration tests against real PostgreSQL and the Tansu broker.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH

scripts/env.sh up
# shellcheck disable=SC1091
source .hub-env/env
export HUB_REQUIRE_SERVERS=1

swift build --build-tests
# Tests run in parallel within a suite by default; suites that restart or freeze a server
# are serialized in code.
swift test --skip-build "$@"
