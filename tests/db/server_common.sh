# server_common.sh — sourced by the test servers' scripts (pg_server.sh, redis_server.sh).

# free_port, as the tools pick ports (below the outgoing-connection range)
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/ports.sh"

# Sends the server in DIR (its PID in DIR/pid) signal SIG and waits for it to go.
stop_server() { # DIR SIG
    local pid
    pid=$(cat "$1/pid" 2>/dev/null) || return 0
    kill "-$2" "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
}

# Prints PORT and returns 0 once something listens on it (10 s at most); else prints NAME's
# log (LOG) and returns 1.
wait_port() { # PORT NAME LOG
    for _ in $(seq 1 200); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && { echo "$1"; return 0; }
        sleep 0.05
    done
    echo "$2: the server did not start:" >&2
    cat "$3" >&2
    return 1
}

# The scripts' stop and kill: stop sends STOP-SIGNAL and removes DIR, kill sends KILL-SIGNAL
# and leaves DIR (the test still reads the client's output there).
end_server() { # stop|kill DIR KILL-SIGNAL STOP-SIGNAL
    stop_server "$2" "$([ "$1" = kill ] && echo "$3" || echo "$4")"
    [ "$1" = stop ] && rm -rf "$2"
    return 0
}
