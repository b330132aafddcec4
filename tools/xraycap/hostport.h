/* hostport.h — the tool's one HOST:PORT reader, for every option that takes an address
 * (--udp, --forward, --http). IPv6 hosts go in brackets: [::1]:2000. */
#ifndef XRAYCAP_HOSTPORT_H
#define XRAYCAP_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Resolves `spec` for sockets of `socktype` (SOCK_DGRAM, SOCK_STREAM). The port must be a
 * number from 1 to 65535, or 0 when `any_port` (the system picks one). On failure returns
 * false with the reason in `why`. */
bool hostport_resolve(const char *spec, int socktype, bool any_port, struct sockaddr_storage *out,
                      socklen_t *len, char *why, size_t whylen);

/* A socket of `socktype` bound to `spec` (and listening, for SOCK_STREAM), with the address it
 * got written to `addr` as HOST:PORT ([HOST]:PORT for IPv6). Returns the descriptor; -2 when
 * `spec` is not a usable address, -1 when it cannot be bound, with the reason in `why`. */
int hostport_bind(const char *spec, int socktype, bool any_port, char *addr, size_t addrlen, char *why,
                  size_t whylen);

#endif
