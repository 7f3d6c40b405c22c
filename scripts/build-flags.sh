# shellcheck shell=bash
# The flags of every `swift build` in the scripts (sourced): the same flags everywhere, so
# that one build serves the tests, the demo and the boundary check without recompiling.
#   --explicit-target-dependency-import-check error: a target importing another target it
#     does not declare fails to build (docs/architecture.md, "Boundaries").
#   -warnings-as-errors: zero warnings on Swift 6.3, for the project's own targets
#     (SwiftPM builds the dependencies with their warnings suppressed).
HUB_BUILD_FLAGS=(--explicit-target-dependency-import-check error -Xswiftc -warnings-as-errors)
