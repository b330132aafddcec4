# ports.sh — loopback ports for the tools' bash scripts (sourced by demo.sh and standins.sh).

# A loopback TCP port nothing listens on, picked at random (0 when none was found). It is
# taken below the kernel's range for outgoing connections: a port in that range may be held by
# a connection's own end, which no connect test sees, and a listen on it fails (EADDRINUSE).
free_port() {
  local p low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
  [ "$low" -gt 11024 ] 2>/dev/null || low=32768
  for _ in $(seq 1 100); do
    p=$((10000 + RANDOM % (low - 10000)))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 0
}

# Waits up to 10 s until something listens on loopback port $1.
wait_port() {
  for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "${0##*/}: nothing answers on port $1" >&2; return 1
}
