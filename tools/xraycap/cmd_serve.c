/* cmd_serve.c — `xraycap serve`: the trace list, timelines and map over HTTP, for a browser on
 * this machine. A small blocking server: one connection at a time, GET only. */
#include "commands.h"
#include "stop.h"
#include "view.h"
#include "hostport.h"
#include "html.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void url_decode(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && *in != '&' && o + 1 < len; in++) {
        if (*in == '+')
            out[o++] = ' ';
        else if (*in == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            char hex[3] = {in[1], in[2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            in += 2;
        } else
            out[o++] = *in;
    }
    out[o] = '\0';
}


static void handle(int c, store *s, const options *o)
{
    char req[8192];
    ssize_t n = recv(c, req, sizeof req - 1, 0);
    if (n <= 0)
        return;
    req[n] = '\0';
    char method[8] = "", path[4096] = "";
    sscanf(req, "%7s %4095s", method, path);
    char *body = NULL;
    size_t blen = 0;
    FILE *out = open_memstream(&body, &blen);
    int status = 200;
    if (strcmp(method, "GET")) {
        status = 405;
        fputs("GET only", out);
    } else if (!strncmp(path, "/trace/", 7)) {
        char id[64];
        url_decode(path + 7, id, sizeof id);
        if (!view_trace_page(out, s, id, "../"))
            status = 404;
    } else if (!strcmp(path, "/map")) {
        trace_map m = {0};
        view_build_map(s, o->since, &m);
        html_begin(out, "Trace map", "");
        html_map(out, &m);
        html_end(out);
        map_free(&m);
    } else if (!strcmp(path, "/") || !strncmp(path, "/?", 2)) {
        char text[1024] = "", err[1024];
        const char *q = strstr(path, "filter=");
        if (q)
            url_decode(q + 7, text, sizeof text);
        filter *f = text[0] ? filter_parse(text, err, sizeof err) : NULL;
        trace_list l = {s, f, NULL, 0, 0};
        if (!text[0] || f)
            view_load(&l, o->since);
        html_begin(out, "Traces", "");
        html_trace_list(out, l.v, l.n, text, text[0] && !f ? err : NULL, "");
        html_end(out);
        view_list_free(&l);
        filter_free(f);
    } else {
        status = 404;
        fputs("not found", out);
    }
    fclose(out);
    char head[256];
    int hn = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Method Not Allowed", blen);
    send(c, head, (size_t)hn, MSG_NOSIGNAL);
    send(c, body, blen, MSG_NOSIGNAL);
    free(body);
}

int cmd_serve(int argc, char **argv)
{
    options o;
    if (!view_parse(argc, argv, &o, false, "xraycap serve [--db FILE] [--since 15m] [--http 127.0.0.1:8080]"))
        return 2;
    const char *spec = o.http ? o.http : "127.0.0.1:8080";
    char why[600], bound[96];
    int fd = hostport_bind(spec, SOCK_STREAM, false, bound, sizeof bound, why, sizeof why);
    if (fd < 0) {
        fprintf(stderr, "xraycap serve: --http %s\n", why);
        return fd == -2 ? 2 : 1;
    }
    store *s = view_open_store(&o);
    if (!s)
        return 1;
    stop_on_signals();
    fprintf(stderr, "xraycap serve: http://%s/\n", bound);
    while (!stop_asked) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        handle(c, s, &o);
        close(c);
    }
    close(fd);
    store_close(s);
    return 0;
}
