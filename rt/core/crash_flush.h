/* crash_flush.h — sending the crashing thread's open segment on a fatal signal
 * (XRAYCAP_CRASH_FLUSH, crash_flush.c). */
#ifndef XRC_CRASH_FLUSH_H
#define XRC_CRASH_FLUSH_H

/* When the setting is on (and the daemon emitter with it): installs the handlers for SIGSEGV,
 * SIGBUS, SIGABRT and SIGFPE, once, keeping the previous ones to pass the signal on to, and
 * takes the daemon's address. Called when the first segment begins and after each
 * xray_recorder_configure; turned off, the handlers only pass the signal on. */
void xrc_crash_flush_install(void);

#endif
