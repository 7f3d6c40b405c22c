#!/usr/bin/env bash
# Shows that the targets' boundaries are the compiler's, not a convention: each probe puts
# one forbidden import into a target, builds that target and expects the build to FAIL;
# then the tree builds with SwiftPM's import check. Run by scripts/test.sh before the tests.
#
#   HubDomain  + import CKafka       -> no such module (the C modules are outside its graph)
#   HubDomain  + import CPostgres    -> no such module
#   HubDomain  + import HubKafka     -> refused by --explicit-target-dependency-import-check
#   HubKafka   + import HubPostgres  -> refused (the adapters do not know each other)
#   HubCore    + import HubSimulation-> refused (processing does not link test data)
#
# One gap the compiler leaves (docs/architecture.md, "Boundaries"): SwiftPM hands every
# target the module maps of the C modules below it, because the adapters' compiled modules
# refer to them; so HubCore or an executable could `import CPostgres` and build. The last
# check refuses such an import in the sources, outside Sources/HubKafka and Sources/HubPostgres.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH
scratch=()
[ -n "${HUB_SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$HUB_SCRATCH_PATH")
# shellcheck source=scripts/build-flags.sh
source scripts/build-flags.sh
check=("${HUB_BUILD_FLAGS[@]}")

probe=""
cleanup() { if [ -n "$probe" ]; then rm -f "$probe"; fi; }
trap cleanup EXIT

# expect_refused TARGET MODULE: the build of TARGET with `import MODULE` must fail.
expect_refused() {
    local target=$1 module=$2
    probe="Sources/$target/BoundaryProbe.swift"
    printf 'import %s\n' "$module" > "$probe"
    local log
    log=$(mktemp)
    if swift build "${scratch[@]}" "${check[@]}" --target "$target" > "$log" 2>&1; then
        echo "check-boundaries: FAILED: $target built with 'import $module'" >&2
        rm -f "$log"
        exit 1
    fi
    local why
    why=$(grep -m1 -oE "no such module '$module'|imports another target \($module\)[^.]*" "$log" || true)
    rm -f "$log" "$probe"
    probe=""
    if [ -z "$why" ]; then
        echo "check-boundaries: FAILED: $target with 'import $module' failed for another reason (see: swift build --target $target)" >&2
        exit 1
    fi
    echo "check-boundaries: $target refuses 'import $module': $why"
}

expect_refused HubDomain CKafka
expect_refused HubDomain CPostgres
expect_refused HubDomain HubKafka
expect_refused HubKafka HubPostgres
expect_refused HubCore HubSimulation

# C modules imported only by their adapters.
if leaks=$(grep -rnE '^\s*(@[A-Za-z_]+\s+)*((public|package|internal|private|fileprivate)\s+)?import\s+((struct|class|enum|func|var|let|typealias|protocol)\s+)?(CKafka|CPostgres)\b' \
        Sources Tests --include='*.swift' | grep -vE '^Sources/(HubKafka/[^:]*:.*CKafka|HubPostgres/[^:]*:.*CPostgres)'); then
    echo "check-boundaries: FAILED: a C module imported outside its adapter:" >&2
    echo "$leaks" >&2
    exit 1
fi
echo "check-boundaries: CKafka only in Sources/HubKafka, CPostgres only in Sources/HubPostgres"

# The whole tree with the import check: a target importing what it does not declare fails.
swift build "${scratch[@]}" "${check[@]}" --build-tests
echo "check-boundaries: every target imports only what it declares, with no warning"
