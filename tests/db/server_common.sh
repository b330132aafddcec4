# server_common.sh — sourced by the test servers' scripts (pg_server.sh, redis_server.sh).

# A loopback TCP port nothing listens on.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    echo "$port"
}

# Sends the server in DIR (its PID in DIR/pid) signal SIG and waits for it to go.
stop_server() { # DIR SIG
    local pid
    pid=$(cat "$1/pid" 2>/dev/null) || return 0
    kill "-$2" "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
}
