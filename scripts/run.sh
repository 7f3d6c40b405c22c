#!/usr/bin/env bash
# The hub's main job on a local default: servers up (scripts/env.sh), schema migrated,
# topics created, the DEMO reference data imported (an illustrative territory of
# Seine-Saint-Denis, docs/examples/reference-demo.json), hub-workers started, one CLSM
# declaration published and the notifications it produced on hub.notifications shown.
# hub-workers then keeps running; Ctrl-C stops it gracefully.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH

scripts/env.sh up
# shellcheck disable=SC1091
source .hub-env/env

# The demo keeps its state in a schema of its own, made anew on each run, so that the
# declaration below is news to the hub every time (set HUB_DATABASE_URL yourself to run
# the hub on your own database instead).
if [ -z "${HUB_RUN_KEEP_URL:-}" ]; then
    psql "$HUB_DATABASE_URL" -qc "DROP SCHEMA IF EXISTS demo CASCADE; CREATE SCHEMA demo;" >/dev/null
    export HUB_DATABASE_URL="$HUB_DATABASE_URL?options=-c%20search_path%3Ddemo"
fi

swift build --product hub-workers
swift build --product hub-admin
bin=$(swift build --show-bin-path)
"$bin/hub-admin" migrate
"$bin/hub-admin" topics create
"$bin/hub-admin" reference import docs/examples/reference-demo.json

log=.hub-env/workers.log
"$bin/hub-workers" >"$log" 2>&1 &
workers=$!
trap 'kill -TERM $workers 2>/dev/null; wait $workers' INT TERM
echo "hub-workers started (pid $workers, log $log); waiting for it to join its group..."
for _ in $(seq 1 60); do
    grep -q "Kafka rebalance" "$log" && break
    kill -0 $workers 2>/dev/null || { cat "$log"; exit 1; }
    sleep 1
done

# Listen first, then publish: the listener shows only what this declaration causes. The
# event gets a fresh ce_id: the same id again would be a redelivery, which takes no effect.
"$bin/hub-admin" notifications --idle 8 >.hub-env/notifications.txt 2>.hub-env/listener.log &
listener=$!
for _ in $(seq 1 60); do grep -q listening .hub-env/listener.log && break; sleep 0.5; done
echo
echo "== publishing a CLSM declaration (demo): docs/examples/events/01-clsm-declared-saint-denis.json"
"$bin/hub-admin" publish --new-id --topic clsm.declared docs/examples/events/01-clsm-declared-saint-denis.json
wait $listener || true
echo
echo "== its notifications on hub.notifications (recipient, rule, message)"
cat .hub-env/notifications.txt
echo
echo "hub-workers keeps running (log: $log, metrics: http://127.0.0.1:9464/metrics). Ctrl-C stops it."
wait $workers
