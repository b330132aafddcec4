#!/usr/bin/env bash
# pg_server.sh — a PostgreSQL server of the tests' own, as a user would run one:
#   pg_server.sh start DIR   initdb into DIR/data (user xraycap, password from DIR/password,
#                            scram-sha-256), serve on 127.0.0.1 at a free port; prints the port
#   pg_server.sh stop DIR    stop it by its PID (SIGINT: fast shutdown), remove DIR
#   pg_server.sh kill DIR    SIGQUIT: the server drops every connection at once (a crash)
# PostgreSQL refuses to run as root: as root, initdb and the server run as `nobody`.
set -u
. "$(dirname "$0")/server_common.sh"
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)

case $cmd in
start)
    [ -x "$bin/postgres" ] || { echo "pg_server: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }
    mkdir -p "$dir" && chmod 700 "$dir"
    [ -f "$dir/password" ] || echo "s3cret-pw" >"$dir/password"
    [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
    (cd "$dir" && "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U xraycap --pwfile="$dir/password" \
        -A scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    (cd "$dir" && exec "${as_user[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" \
        -c listen_addresses=127.0.0.1 -c fsync=off -c logging_collector=off >"$dir/server.log" 2>&1) &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && { echo "$port"; exit 0; }
        sleep 0.1
    done
    echo "pg_server: the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1 ;;
stop|kill)
    end_server "$cmd" "$dir" QUIT INT
    exit 0 ;;
esac
echo "usage: pg_server.sh start|stop|kill DIR" >&2; exit 2
