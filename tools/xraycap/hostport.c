/* hostport.c — HOST:PORT to a socket address, checked before anything is bound. */
#include "hostport.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool hostport_resolve(const char *spec, int socktype, bool any_port, struct sockaddr_storage *out,
                      socklen_t *len, char *why, size_t whylen)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') { /* [v6]:port */
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host) {
            snprintf(why, whylen, "'%s' is not [IPV6]:PORT", spec);
            return false;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - spec - 1), spec + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host ||
            memchr(spec, ':', (size_t)(colon - spec))) {
            snprintf(why, whylen, "'%s' is not HOST:PORT (an IPv6 host goes in brackets)", spec);
            return false;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
        port = colon + 1;
    }
    char *end;
    long n = strtol(port, &end, 10);
    if (!*port || *end || port[0] == '-' || port[0] == '+' || n > 65535 || (n == 0 && !any_port)) {
        snprintf(why, whylen, "'%s': the port must be a number from %d to 65535", spec,
                 any_port ? 0 : 1);
        return false;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc || !res) {
        snprintf(why, whylen, "'%s': cannot resolve '%s': %s", spec, host,
                 rc ? gai_strerror(rc) : "no address");
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

int hostport_bind(const char *spec, int socktype, bool any_port, char *addr, size_t addrlen, char *why,
                  size_t whylen)
{
    struct sockaddr_storage a;
    socklen_t len;
    if (!hostport_resolve(spec, socktype, any_port, &a, &len, why, whylen))
        return -2;
    int fd = socket(a.ss_family, socktype | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0 && socktype == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    char host[64], port[16];
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) || (socktype == SOCK_STREAM && listen(fd, 128)) ||
        getsockname(fd, (struct sockaddr *)&a, &len) ||
        getnameinfo((struct sockaddr *)&a, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(why, whylen, "cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(addr, addrlen, a.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return fd;
}
