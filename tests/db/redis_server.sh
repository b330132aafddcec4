#!/usr/bin/env bash
# redis_server.sh — a Redis server of the tests' own:
#   redis_server.sh start DIR   serve on 127.0.0.1 at a free port, nothing saved to disk
#                               (--save ''); prints the port
#   redis_server.sh stop DIR    stop it by its PID, remove DIR
#   redis_server.sh kill DIR    SIGKILL: the server vanishes mid-conversation
set -u
. "$(dirname "$0")/server_common.sh"
cmd=$1 dir=$2
case $cmd in
start)
    command -v redis-server >/dev/null || { echo "redis_server: no redis-server (apt-get install redis-server)" >&2; exit 2; }
    mkdir -p "$dir"
    port=$(free_port)
    (cd "$dir" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$dir" --daemonize no >"$dir/server.log" 2>&1) &
    echo $! >"$dir/pid"
    wait_port "$port" redis_server "$dir/server.log"
    exit ;;
stop|kill)
    end_server "$cmd" "$dir" KILL TERM
    exit 0 ;;
esac
echo "usage: redis_server.sh start|stop|kill DIR" >&2; exit 2
