#!/usr/bin/env bash
# The hub's main job on a local default: servers up (scripts/env.sh), schema migrated,
# topics created, then hub-workers in the foreground (Ctrl-C stops it gracefully).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH

scripts/env.sh up
# shellcheck disable=SC1091
source .hub-env/env

swift build
bin=$(swift build --show-bin-path)
"$bin/hub-admin" migrate
"$bin/hub-admin" topics create
exec "$bin/hub-workers"
