#!/usr/bin/env bash
# mariadb_server.sh — a MariaDB server of the tests' own:
#   mariadb_server.sh start DIR   mariadb-install-db into DIR/data, a database `shop` and a user
#                                 xraycap (password s3cret-pw), serve on 127.0.0.1 at a free
#                                 port; prints the port
#   mariadb_server.sh stop DIR    stop it by its PID, remove DIR
#   mariadb_server.sh kill DIR    SIGKILL: the server vanishes mid-conversation
# As root, the server runs as the `mysql` user that Debian's package creates.
set -u
. "$(dirname "$0")/server_common.sh"
cmd=$1 dir=$2
as_user=()
[ "$(id -u)" = 0 ] && as_user=(--user=mysql)
case $cmd in
start)
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
        { echo "mariadb_server: no mariadbd (apt-get install mariadb-server)" >&2; exit 2; }
    mkdir -p "$dir" && chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown mysql:mysql "$dir"
    mariadb-install-db --no-defaults --datadir="$dir/data" "${as_user[@]}" --auth-root-authentication-method=normal \
        --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
    cat >"$dir/init.sql" <<'SQL'
CREATE DATABASE IF NOT EXISTS shop;
CREATE USER IF NOT EXISTS 'xraycap'@'127.0.0.1' IDENTIFIED BY 's3cret-pw';
GRANT ALL ON shop.* TO 'xraycap'@'127.0.0.1';
SQL
    [ "$(id -u)" = 0 ] && chown mysql:mysql "$dir/init.sql"
    port=$(free_port)
    /usr/sbin/mariadbd --no-defaults --datadir="$dir/data" "${as_user[@]}" --port="$port" \
        --bind-address=127.0.0.1 --socket="$dir/sock" --pid-file="$dir/mariadbd.pid" \
        --init-file="$dir/init.sql" --skip-log-bin --innodb-buffer-pool-size=16M \
        --log-error="$dir/server.log" >/dev/null 2>&1 &
    echo $! >"$dir/pid"
    wait_port "$port" mariadb_server "$dir/server.log"
    exit ;;
stop|kill)
    end_server "$cmd" "$dir" KILL TERM
    exit 0 ;;
esac
echo "usage: mariadb_server.sh start|stop|kill DIR" >&2; exit 2
