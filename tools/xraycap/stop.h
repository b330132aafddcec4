/* stop.h — the commands that serve until stopped (serve, local-api) end on SIGINT or SIGTERM. */
#ifndef XRAYCAP_STOP_H
#define XRAYCAP_STOP_H

#include <signal.h>

/* Set by SIGINT or SIGTERM once stop_on_signals has run. */
extern volatile sig_atomic_t stop_asked;

/* Makes SIGINT and SIGTERM set stop_asked. Without SA_RESTART, so a blocking accept() or
 * poll() returns (EINTR) and the command's loop sees the flag. */
void stop_on_signals(void);

#endif
