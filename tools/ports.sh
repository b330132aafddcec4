# ports.sh — loopback ports for the tools' bash scripts (sourced by demo.sh and standins.sh).

# A loopback TCP port nothing listens on, picked at random (0 when none was found).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 0
}

# Waits up to 10 s until something listens on loopback port $1.
wait_port() {
  for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "${0##*/}: nothing answers on port $1" >&2; return 1
}
