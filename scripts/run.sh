#!/usr/bin/env bash
# The hub's main job on a local default, with an ILLUSTRATIVE DEMO territory:
#   servers up (scripts/env.sh), build, schema migrated, topics created, the DEMO reference
#   data imported (docs/examples/reference-demo.json: real INSEE codes, invented QPVs, CLS,
#   ASV, SISM edition and issue 19's dispositifs, EPCIs, sectors and PTSM territories), hub-workers started (as a workers' role: data rights only, no DDL;
#   the reports run as a reporting role of region 11), a scripted day of events published in order
#   (docs/examples/demo-day/day.tsv), each step's notifications shown as they come back on
#   hub.notifications, then the ARS reports for the demo region, the SISM programme as an
#   iCalendar file, and hub-admin status.
# hub-workers then keeps running; Ctrl-C stops it gracefully.
#
#   scripts/run.sh            the demo, then the workers keep running until Ctrl-C
#   scripts/run.sh --once     the demo, then the workers stop; exit 0 only if notifications
#                             came back, the reports and the status printed and the workers
#                             stopped cleanly (HUB_RUN_ONCE=1 does the same)
#
# Environment: HUB_ENV_DIR, HUB_ENV_KAFKA_PORT, HUB_ENV_PG_PORT (scripts/env.sh: where the
# servers live and listen), HUB_SCRATCH_PATH (swift build --scratch-path; default .build),
# HUB_METRICS_PORT (hub-workers' /metrics and /health; default 9464), HUB_RUN_KEEP_URL=1
# (run on the HUB_DATABASE_URL of the environment, as its user, instead of a fresh schema `demo`).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH

once=${HUB_RUN_ONCE:-0}
for argument in "$@"; do
    case $argument in
        --once) once=1 ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run: unknown argument $argument (see scripts/run.sh --help)" >&2; exit 64 ;;
    esac
done

# PostgreSQL is started from inside its data folder: the environment's folder must be absolute.
HUB_ENV_DIR=$(realpath -m "${HUB_ENV_DIR:-$repo/.hub-env}")
export HUB_ENV_DIR
envdir=$HUB_ENV_DIR
region=11
edition=2026
day=docs/examples/demo-day/day.tsv
# The demo's clock times line up under one another; this indents what follows a step.
indent="        "

say() { printf '\n== %s\n' "$*"; }
die() { echo "run: error: $*" >&2; exit 1; }

scripts/env.sh up
# shellcheck disable=SC1091
source "$envdir/env"

# The demo keeps its state in a schema of its own, made anew on each run, so that the day
# below is news to the hub every time (set HUB_RUN_KEEP_URL=1 to run the hub on the
# environment's database as it is instead).
if [ -z "${HUB_RUN_KEEP_URL:-}" ]; then
    psql "$HUB_DATABASE_URL" -qc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS demo CASCADE; CREATE SCHEMA demo;" >/dev/null
    export HUB_DATABASE_URL="$HUB_DATABASE_URL?options=-c%20search_path%3Ddemo"
fi
sql() { psql "$HUB_DATABASE_URL" -tAqc "$1"; }

scratch=()
[ -n "${HUB_SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$HUB_SCRATCH_PATH")
# shellcheck source=scripts/build-flags.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-flags.sh"
swift build "${scratch[@]}" "${HUB_BUILD_FLAGS[@]}" --product hub-workers
swift build "${scratch[@]}" "${HUB_BUILD_FLAGS[@]}" --product hub-admin
bin=$(swift build "${scratch[@]}" --show-bin-path)
admin() { "$bin/hub-admin" "$@"; }

# The schema's owner migrates: hub-workers runs no DDL (it only checks the schema's version).
admin migrate
admin topics create
cat <<'EOF'

  ************************************************************************************
  *  DEMO REFERENCE DATA - an ILLUSTRATIVE territory, not an official one.           *
  *  Région Île-de-France (11), Seine-Saint-Denis (93), Hauts-de-Seine (92): the     *
  *  INSEE codes of regions, départements and communes are real; the QPVs, the CLS,  *
  *  the ASV, the SISM 2026 edition, the CLSPD, CPTS, DAC, PRE, contrat de ville,    *
  *  EPCIs (SIRENs), psychiatric sectors and PTSM territories are INVENTED for the   *
  *  demonstration.                                                                  *
  *  Source: docs/examples/reference-demo.json                                       *
  ************************************************************************************
EOF
admin reference import docs/examples/reference-demo.json
# The example events' producers, registered: from here on a record from any other ce_source
# is refused as unauthorized (docs/contract.md §3, "Who may say what").
echo "registering the demo's sources (docs/examples/sources-demo.json): the hub no longer runs open"
admin reference import docs/examples/sources-demo.json >/dev/null

# On the demo schema, the workers run as a workers' role (data rights only, no DDL) and the
# reports as a reporting role of the demo region (row-level security): docs/operations.md,
# "Security". Here the environment's superuser takes each role (libpq's options -c role=);
# in production each role logs in with its own password.
workers_url=$HUB_DATABASE_URL
reports_url=$HUB_DATABASE_URL
if [ -z "${HUB_RUN_KEEP_URL:-}" ]; then
    admin roles workers hub_demo_workers >/dev/null
    admin roles reader hub_demo_reader --region "$region" >/dev/null
    workers_url="$HUB_DATABASE_URL%20-c%20role%3Dhub_demo_workers"
    reports_url="$HUB_DATABASE_URL%20-c%20role%3Dhub_demo_reader"
    echo "hub-workers runs as hub_demo_workers, the reports as hub_demo_reader (region $region)"
fi

workers_log=$envdir/workers.log
notifications=$envdir/notifications.txt
listener_log=$envdir/listener.log
workers=""
listener=""
# Stops what this script started, gracefully (hub-workers finishes its batch and commits).
stop_listener() {
    [ -n "$listener" ] || return 0
    kill -TERM "$listener" 2>/dev/null || true
    wait "$listener" 2>/dev/null || true
    listener=""
}
stop_workers() {
    [ -n "$workers" ] || return 0
    local status=0
    kill -TERM "$workers" 2>/dev/null || true
    wait "$workers" || status=$?
    workers=""
    echo "hub-workers stopped (exit status $status)"
    return "$status"
}
trap 'stop_listener; stop_workers || true' EXIT
trap 'echo; stop_listener; stop_workers; trap - EXIT; exit 0' INT TERM

# Runs a test command (with its arguments) until it succeeds, up to `seconds`.
wait_for() {
    local seconds=$1
    shift
    for _ in $(seq 1 $((seconds * 4))); do
        "$@" && return 0
        sleep 0.25
    done
    return 1
}
# Events the workers processed: each is in the inbox or a dead letter.
processed_count() { sql "SELECT (SELECT count(*) FROM hub_inbox) + (SELECT count(*) FROM hub_dead_letters)"; }
# Whether the workers processed the event of this ce_id (every event of the day is valid, so
# it is in the inbox once processed). By id, not by count: records left on the topics by
# someone else may still come in meanwhile.
# An event the workers are done with: in the inbox by its ce_id, or a dead letter at the
# position hub-admin publish printed (topic, partition, offset).
handled_event() {
    [ "$(sql "SELECT (SELECT count(*) FROM hub_inbox WHERE event_id = '$1')
                   + (SELECT count(*) FROM hub_dead_letters WHERE topic = '$2' AND kafka_partition = $3 AND kafka_offset = $4)")" -ge 1 ]
}
# The dead letter at that position, if any: "code: message".
dead_letter_at() {
    sql "SELECT error_code || ': ' || error_message FROM hub_dead_letters
          WHERE topic = '$1' AND kafka_partition = $2 AND kafka_offset = $3"
}
# The notifications the event of this ce_id caused (their outbox rows are written in the
# event's transaction).
caused_by() {
    sql "SELECT count(*) FROM hub_outbox WHERE topic = 'hub.notifications'
           AND convert_from(value, 'UTF8')::jsonb -> 'cause' ->> 'id' = '$1'"
}
# The notifications the listener printed, each once. Delivery is at least once: a relay
# that published a row but did not mark it yet publishes it again (consumers drop it by
# its ce_id, the notificationId; the listener prints recipient, rule and message, so the
# same line again is taken for the same notification).
received() { tail -n +$((earlier + 1)) "$notifications" | awk '!seen[$0]++'; }
# The listener has printed at least this many notifications.
arrived() { [ "$(received | wc -l)" -ge "$1" ]; }

# The group's lag over the inbound topics (hub-admin status), and the outbox rows not relayed yet.
lag() { admin status --section lag --format csv | awk -F, 'NR > 1 { total += $5 } END { print total + 0 }'; }
idle() { [ "$(lag)" -eq 0 ] && [ "$(sql "SELECT count(*) FROM hub_outbox_unsent")" -eq 0 ]; }

processed_before=$(processed_count)
HUB_DATABASE_URL=$workers_url "$bin/hub-workers" >"$workers_log" 2>&1 &
workers=$!
echo
echo "hub-workers started (pid $workers, log $workers_log); waiting for it to join its group..."
for _ in $(seq 1 60); do
    grep -q "Kafka rebalance" "$workers_log" && break
    kill -0 "$workers" 2>/dev/null || { cat "$workers_log"; die "hub-workers stopped"; }
    sleep 1
done

# The group may find records it has not consumed yet on the topics (left by tests, or by a
# run stopped early): the workers process them first, so that the day below starts on
# quiet topics.
wait_for 120 idle || die "the workers did not catch up with the records already on the topics within 120 s (see $workers_log)"
backlog=$(($(processed_count) - processed_before))
[ "$backlog" -eq 0 ] || echo "(records already on the topics, processed first: $backlog)"

# Listen before publishing: the listener shows only what this day causes. Line-buffered, so
# that each step's notifications can be shown as they arrive.
stdbuf -oL "$bin/hub-admin" notifications --idle 3600 >"$notifications" 2>"$listener_log" &
listener=$!
for _ in $(seq 1 120); do grep -q listening "$listener_log" && break; sleep 0.5; done
grep -q listening "$listener_log" || die "the notification listener did not start: $(cat "$listener_log")"
# Starting from the newest record, the listener may still receive a few notifications of
# earlier runs (Tansu's high watermark can trail the last record): what came before the
# first step is left out.
sleep 3
earlier=$(wc -l <"$notifications")

say "A scripted day in the demo territory ($day)"
echo "Each event is published with a fresh ce_id (hub-admin publish --new-id), so the hub takes it"
echo "as news; the next step waits until the workers processed it and its notifications came back."
shown=0
expected=0
while IFS=$'\t' read -r clock topic file what <&3; do
    [[ -z $clock || $clock == \#* ]] && continue
    printf '\n%s   %s\n' "$clock" "$what"
    printf '%s%s → %s\n' "$indent" "$file" "$topic"
    published=$(admin publish --new-id --topic "$topic" "$file") || die "publishing $file failed"
    printf '%s\n' "$published" | sed "s/^/$indent/"
    id=$(printf '%s\n' "$published" | sed -n 's/^published \([^ ]*\) to .*/\1/p' | head -n 1)
    [ -n "$id" ] || die "no ce_id in the output of hub-admin publish"
    read -r at_topic at_partition at_offset < <(printf '%s\n' "$published" \
        | sed -n 's/^published [^ ]* to \([^[]*\)\[\([0-9]*\)\]@\([0-9]*\).*/\1 \2 \3/p' | head -n 1) \
        || die "no position in the output of hub-admin publish"
    wait_for 60 handled_event "$id" "$at_topic" "$at_partition" "$at_offset" \
        || die "the workers did not process $file within 60 s (see $workers_log)"
    letter=$(dead_letter_at "$at_topic" "$at_partition" "$at_offset")
    [ -z "$letter" ] || printf '%sdead letter %s\n' "$indent" "$letter"
    expected=$((expected + $(caused_by "$id")))
    wait_for 30 arrived "$expected" \
        || echo "${indent}(only $(received | wc -l) of $expected notifications came back within 30 s)"
    seen=$(received | wc -l)
    received | sed -n "$((shown + 1)),${seen}p" | sed "s/^/$indent/"
    shown=$seen
done 3<"$day"

dead_letters=$(sql "SELECT count(*) FROM hub_dead_letters")
repeated=$(($(wc -l <"$notifications") - earlier - shown))
say "The day's notifications, per recipient ($shown in all; dead letters: $dead_letters)"
[ "$repeated" -eq 0 ] || echo "($repeated received twice, shown once)"
[ "$earlier" -eq 0 ] || echo "($earlier published before this run, received as the listener started, left out)"
received | awk '{ count[$1]++; if (!seen[$1 SUBSEP $2]++) rules[$1] = rules[$1] (rules[$1] ? ", " : "") $2 }
     END { for (r in count) printf "%-28s %3d  %s\n", r, count[r], rules[r] }' | sort

reports_ok=1
report() {
    say "hub-admin report $*"
    HUB_DATABASE_URL=$reports_url admin report "$@" || { reports_ok=0; echo "run: hub-admin report $* failed" >&2; }
}
report articulation --region "$region"
report sism --region "$region" --edition "$edition"
report coverage --region "$region"
report survey --year 2025 --region "$region"
ics=$envdir/demo-sism.ics
say "The SISM $edition programme as an iCalendar file"
if HUB_DATABASE_URL=$reports_url admin report sism --region "$region" --edition "$edition" --format ics --output "$ics"; then
    echo "$ics ($(grep -c '^BEGIN:VEVENT' "$ics") events): import it into a calendar application"
else
    reports_ok=0
fi
say "hub-admin status"
admin status || reports_ok=0

stop_listener
if [ "$once" = 1 ]; then
    say "--once: stopping hub-workers"
    workers_ok=1
    stop_workers || workers_ok=0
    trap - EXIT
    [ "$shown" -gt 0 ] || die "no notification came back"
    [ "$reports_ok" = 1 ] || die "a report or the status failed"
    [ "$workers_ok" = 1 ] || die "hub-workers did not stop cleanly (see $workers_log)"
    echo "demo done: $shown notifications, reports printed, hub-workers stopped"
    exit 0
fi
echo
echo "hub-workers keeps running (log: $workers_log, metrics: http://127.0.0.1:${HUB_METRICS_PORT:-9464}/metrics). Ctrl-C stops it."
wait "$workers"
