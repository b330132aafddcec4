/*
 * xray_capture/version.h — the version of xraycap, written here and nowhere else (the Makefile,
 * pkg-config, the CMake package, the plugins and the xraycap tool all read it from here).
 *
 *   #if XRAYCAP_VERSION_NUM >= 1000   (1000 = 0.10.0; MAJOR * 10000 + MINOR * 100 + PATCH)
 */
#ifndef XRAY_CAPTURE_VERSION_H
#define XRAY_CAPTURE_VERSION_H

#define XRAYCAP_VERSION_MAJOR 0
#define XRAYCAP_VERSION_MINOR 1
#define XRAYCAP_VERSION_PATCH 0

#define XRAYCAP_VERSION_NUM \
    (XRAYCAP_VERSION_MAJOR * 10000 + XRAYCAP_VERSION_MINOR * 100 + XRAYCAP_VERSION_PATCH)

#define XRAYCAP_VERSION_STR2_(x) #x
#define XRAYCAP_VERSION_STR_(x) XRAYCAP_VERSION_STR2_(x)
/* "MAJOR.MINOR.PATCH" */
#define XRAYCAP_VERSION                                                                       \
    XRAYCAP_VERSION_STR_(XRAYCAP_VERSION_MAJOR) "." XRAYCAP_VERSION_STR_(XRAYCAP_VERSION_MINOR) \
    "." XRAYCAP_VERSION_STR_(XRAYCAP_VERSION_PATCH)

#endif
