#!/usr/bin/env bash
# Formats the Swift sources with the toolchain's swift-format and the repository's
# .swift-format (4 spaces, lines up to 140 columns, imports ordered).
#   scripts/format.sh          rewrites the files in place
#   scripts/format.sh --check  changes nothing; fails if a file is not formatted (CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/opt/swift/usr/bin:$PATH
paths=(Package.swift Sources Tests)
if [ "${1:-}" = "--check" ]; then
    if ! swift-format lint --strict --recursive --parallel "${paths[@]}"; then
        echo "format: files above are not formatted; run scripts/format.sh" >&2
        exit 1
    fi
    echo "format: every Swift file is formatted"
else
    swift-format format --in-place --recursive --parallel "${paths[@]}"
fi
