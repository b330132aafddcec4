#!/usr/bin/env bash
# standins.sh — local stand-ins for DynamoDB and S3, as the samples need them: dynalite and
# s3rver (npm packages in build/npm: `make build/npm/.installed`), the latter behind
# tests/e2e/request_id_proxy.js (real S3 sends a request id, s3rver does not), on free loopback
# ports, with the samples' table (Users) and bucket (users-bucket) made.
#
#   tools/standins.sh start [DIR]   start them; DIR/env then holds the variables the samples
#                                   and the AWS SDKs read (AWS_ENDPOINT_URL_DYNAMODB,
#                                   AWS_ENDPOINT_URL_S3, credentials, TABLE_NAME, BUCKET_NAME,
#                                   AWS_REGION): `. DIR/env`
#   tools/standins.sh stop [DIR]    stop what start started
#
# DIR is build/standins unless given; logs and s3rver's files are kept there.
set -u
cd "$(dirname "$0")/.."
cmd=${1:-}
dir=${2:-build/standins}
bin=build/npm/node_modules/.bin

. tools/ports.sh
stop() {
  [ -f "$dir/pids" ] || return 0
  while read -r p; do kill "$p" 2>/dev/null; done <"$dir/pids"
  rm -f "$dir/pids"
}

case $cmd in
start)
  if [ ! -x "$bin/dynalite" ] || [ ! -x "$bin/s3rver" ]; then
    echo "standins: dynalite and s3rver are not installed; run: make build/npm/.installed" >&2
    exit 1
  fi
  # a port free when picked may be taken before a stand-in listens on it: new ports, three tries
  for try in 1 2 3; do
    stop
    mkdir -p "$dir" && rm -rf "$dir/s3" && mkdir "$dir/s3"
    ddb=$(free_port) s3=$(free_port) ids=$(free_port)
    "$bin/dynalite" --host 127.0.0.1 --port "$ddb" --createTableMs 0 >"$dir/dynalite.log" 2>&1 &
    echo $! >>"$dir/pids"
    "$bin/s3rver" -d "$dir/s3" -p "$s3" -a 127.0.0.1 --silent >"$dir/s3rver.log" 2>&1 &
    echo $! >>"$dir/pids"
    node tests/e2e/request_id_proxy.js "$ids" "$s3" >"$dir/proxy.log" 2>&1 &
    echo $! >>"$dir/pids"
    wait_port "$ddb" && wait_port "$s3" && wait_port "$ids" && break
    [ "$try" = 3 ] && { echo "standins: could not start; see $dir/*.log" >&2; stop; exit 1; }
  done
  cat >"$dir/env" <<EOF
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$ddb
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$ids
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export TABLE_NAME=Users BUCKET_NAME=users-bucket
EOF
  # the table and the bucket, made as the samples' own store would make them (signed: both
  # stand-ins want a signature, s3rver also the payload's hash)
  curl -sf -o /dev/null --aws-sigv4 aws:amz:us-east-1:dynamodb --user S3RVER:S3RVER \
    -H 'X-Amz-Target: DynamoDB_20120810.CreateTable' -H 'Content-Type: application/x-amz-json-1.0' \
    -d '{"TableName":"Users","AttributeDefinitions":[{"AttributeName":"userId","AttributeType":"S"}],"KeySchema":[{"AttributeName":"userId","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}' \
    "http://127.0.0.1:$ddb/" || { echo "standins: CreateTable failed" >&2; stop; exit 1; }
  curl -sf -o /dev/null -X PUT --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    "http://127.0.0.1:$s3/users-bucket" || { echo "standins: CreateBucket failed" >&2; stop; exit 1; }
  echo "standins: DynamoDB at http://127.0.0.1:$ddb, S3 at http://127.0.0.1:$ids; variables in $dir/env"
  ;;
stop)
  stop
  ;;
*)
  echo "usage: tools/standins.sh start|stop [DIR]" >&2
  exit 2
  ;;
esac
