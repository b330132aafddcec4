#!/usr/bin/env bash
# demo.sh — what `make demo` runs: the seed's request, traced end to end on this machine.
# Starts `xraycap daemon` on a free loopback port, local DynamoDB and S3 stand-ins
# (tools/standins.sh: npm's dynalite and s3rver, in build/npm), a PostgreSQL and a Redis server when Debian's packages
# are there (tests/db's scripts), and samples/users-api; sends the seed's POST /users; then
# prints the trace list, the timeline and the trace map, writes build/demo/trace.html, and stops
# everything it started. Without npm it runs the standalone samples instead.
set -u
cd "$(dirname "$0")/.."
B=build
OUT=$B/demo
mkdir -p "$OUT"
pids=()
dbdirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  tools/standins.sh stop "$OUT/standins"
  for d in "${dbdirs[@]}"; do tests/db/"${d%%:*}" stop "${d#*:}" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

. tools/ports.sh

if [ ! -x "$B/npm/node_modules/.bin/dynalite" ] || [ ! -x "$B/npm/node_modules/.bin/s3rver" ]; then
  echo "== dynalite/s3rver are not installed (no npm registry?): the standalone samples instead"
  for s in manual capture; do
    echo "== $B/samples/$s"
    "$B/xraycap" run -- "$B/samples/$s" || exit 1
  done
  exit 0
fi

DB=$OUT/traces.db
rm -f "$DB" "$DB-wal" "$DB-shm"
UDP=$(free_port)
"$B/xraycap" daemon --udp "127.0.0.1:$UDP" --db "$DB" 2>"$OUT/daemon.log" & pids+=($!)
API=$(free_port)
# DynamoDB and S3 stand-ins, with the samples' table and bucket; their variables exported
tools/standins.sh start "$OUT/standins" >/dev/null || exit 1
. "$OUT/standins/env"
PG_CONNINFO= REDIS_ADDR=
if PGPORT=$(tests/db/pg_server.sh start "$PWD/$OUT/pg" 2>"$OUT/pg.log"); then
  dbdirs+=("pg_server.sh:$PWD/$OUT/pg")
  PG_CONNINFO="host=127.0.0.1 port=$PGPORT dbname=postgres user=xraycap password=s3cret-pw"
else echo "== no PostgreSQL server here (make deps installs it): the demo goes without"; fi
if RPORT=$(tests/db/redis_server.sh start "$PWD/$OUT/redis" 2>"$OUT/redis.log"); then
  dbdirs+=("redis_server.sh:$PWD/$OUT/redis")
  REDIS_ADDR=127.0.0.1:$RPORT
else echo "== no Redis server here (make deps installs it): the demo goes without"; fi
PG_CONNINFO=$PG_CONNINFO REDIS_ADDR=$REDIS_ADDR PORT=$API AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:$UDP \
  XRAYCAP_SAMPLING_REMOTE=false "$B/samples/users-api" >"$OUT/users-api.log" 2>&1 & pids+=($!)
wait_port "$API" || exit 1

echo "== the seed's request: curl -X POST http://127.0.0.1:$API/users -d '{\"name\": \"alice\"}'"
curl -s -X POST "http://127.0.0.1:$API/users" -H 'Content-Type: application/json' -d '{"name": "alice"}'
echo
sleep 0.5
kill "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null   # the daemon commits and stops

echo; echo "== xraycap traces"
"$B/xraycap" traces --db "$DB"
ID=$("$B/xraycap" traces --db "$DB" --filter 'service("users-api")' | awk 'NR==2 {print $1}')
[ -n "$ID" ] || { echo "demo: no users-api trace was stored (see $OUT/*.log)"; exit 1; }
echo; echo "== xraycap show $ID"
"$B/xraycap" show --db "$DB" "$ID"
echo; echo "== xraycap map"
"$B/xraycap" map --db "$DB"
"$B/xraycap" html --db "$DB" "$ID" >"$OUT/trace.html"
echo; echo "== wrote $OUT/trace.html"

# The seed's deployment: API Gateway -> Lambda (the packaged C function) -> DynamoDB, S3, in
# the seed's three configurations, through `xraycap local-api`.
if [ -x "$B/lambda/stage/bootstrap" ]; then
  LDB=$OUT/lambda.db
  rm -f "$LDB" "$LDB-wal" "$LDB-shm"
  for mode in api lambda sdk; do
    case $mode in
      api) what="API Gateway tracing only" ;;
      lambda) what="API Gateway and Lambda tracing" ;;
      sdk) what="API Gateway and Lambda tracing, and the SDK in the function" ;;
    esac
    LUDP=$(free_port); LAPI=$(free_port)
    "$B/xraycap" daemon --udp "127.0.0.1:$LUDP" --db "$LDB" 2>>"$OUT/daemon.log" & dpid=$!
    "$B/xraycap" local-api --bootstrap "$PWD/$B/lambda/stage/bootstrap" --http "127.0.0.1:$LAPI" \
      --udp "127.0.0.1:$LUDP" --tracing $mode 2>"$OUT/local-api-$mode.log" & lpid=$!
    wait_port "$LAPI" || exit 1
    echo; echo "== $what: curl -X POST http://127.0.0.1:$LAPI/users -d '{\"name\": \"alice\"}'"
    curl -s -X POST "http://127.0.0.1:$LAPI/users" -d '{"name": "alice"}'; echo
    sleep 0.5
    kill $lpid; wait $lpid 2>/dev/null
    kill $dpid; wait $dpid 2>/dev/null
    LID=$("$B/xraycap" traces --db "$LDB" --filter 'service("users-api/dev")' | awk 'NR==2 {print $1}')
    [ -n "$LID" ] || { echo "demo: no trace from local-api (see $OUT/local-api-$mode.log)"; exit 1; }
    "$B/xraycap" show --db "$LDB" "$LID"
    "$B/xraycap" map --db "$LDB" --since 1m
    "$B/xraycap" html --db "$LDB" "$LID" >"$OUT/lambda-$mode.html"
    rm -f "$LDB" "$LDB-wal" "$LDB-shm"
  done
fi
echo; echo "== browse all traces with: $B/xraycap serve --db $DB"
