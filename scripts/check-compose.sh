#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine (none runs on the development machines):
#   1. `docker-compose config -q` accepts it with .env.example's placeholders;
#   2. without an env file it refuses to start, naming POSTGRES_PASSWORD (no default secret);
#   3. every published port binds the host's loopback (127.0.0.1), none 0.0.0.0 or all
#      addresses;
#   4. no password is written in the file: rendered with a sentinel password, every password
#      setting and every URL's password is the sentinel.
# Uses Debian's `docker-compose` (v1) or `docker compose` (v2), whichever is installed; with
# neither, it says so and exits 0 (scripts/test.sh runs it on machines without Docker too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    echo "check-compose: neither docker-compose nor docker compose is installed: not checked"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The caller's environment must not supply what the env file is being checked for.
unset POSTGRES_PASSWORD HUB_REGIONAL_TOPICS
failures=0
fail() {
    echo "check-compose: $*" >&2
    failures=$((failures + 1))
}

# 1. Valid with the example env file.
"${compose[@]}" --env-file .env.example -f docker-compose.yml config -q || fail "docker-compose config refuses the file with .env.example"

# 2. No default secret: without a password, compose stops and says where to set it.
: >"$work/empty.env"
if "${compose[@]}" --env-file "$work/empty.env" -f docker-compose.yml config -q >"$work/no-env.out" 2>&1; then
    fail "docker-compose config accepts the file without POSTGRES_PASSWORD: a default secret is in it"
elif ! grep -q "set POSTGRES_PASSWORD in .env" "$work/no-env.out"; then
    fail "without POSTGRES_PASSWORD, compose fails without saying to set it: $(cat "$work/no-env.out")"
fi

# The file as compose reads it, with a sentinel password.
sentinel="sentinel-$RANDOM$RANDOM"
printf 'POSTGRES_PASSWORD=%s\n' "$sentinel" >"$work/sentinel.env"
"${compose[@]}" --env-file "$work/sentinel.env" -f docker-compose.yml config >"$work/rendered.yml"

# 3. Published ports: the short form "- 127.0.0.1:HOST:CONTAINER/tcp" (v1), or the long
# form, whose every "published:" needs its "host_ip: 127.0.0.1" (v2, or a long form in the file).
awk '
    /^ *ports:/ { inports = 1; indent = match($0, /[^ ]/); next }
    inports && match($0, /[^ ]/) <= indent && $0 !~ /^ *- / { inports = 0 }
    inports {
        entry = $0; sub(/^ *(- *)?/, "", entry); gsub(/["\047]/, "", entry)
        if (entry ~ /^published:/) published++
        else if (entry ~ /^host_ip:/) { if (entry ~ /^host_ip: *127\.0\.0\.1$/) loopback++; else print entry }
        else if (entry ~ /^[0-9]/ && entry !~ /^127\.0\.0\.1:/) print entry
    }
    END { if (published != loopback) print published - loopback " long-form port(s) without host_ip 127.0.0.1" }
' "$work/rendered.yml" >"$work/open-ports"
if [ -s "$work/open-ports" ]; then
    fail "ports published beyond the loopback: $(tr '\n' ' ' <"$work/open-ports")"
fi

# 4. Every password setting and every URL password is the sentinel: none is written here.
grep -iE '^ *[A-Z_]*PASSWORD[A-Z_]*: ' "$work/rendered.yml" | grep -v ": $sentinel\$" >"$work/literal" || true
grep -oE '[a-z]+://[^/:@ ]+:[^@ ]+@' "$work/rendered.yml" | grep -v ":$sentinel@" >>"$work/literal" || true
if [ -s "$work/literal" ]; then
    fail "passwords written in docker-compose.yml: $(tr '\n' ' ' <"$work/literal")"
fi
if ! grep -q "$sentinel" "$work/rendered.yml"; then
    fail "the password from the env file is used nowhere"
fi

if [ $failures -gt 0 ]; then
    echo "check-compose: $failures problem(s)" >&2
    exit 1
fi
echo "check-compose: docker-compose.yml ok (valid with .env.example, refused without a password, loopback ports, no password literal)"
