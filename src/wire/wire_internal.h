/* wire_internal.h - helpers shared inside src/wire (not public API). */
#ifndef TCPSIM_WIRE_INTERNAL_H
#define TCPSIM_WIRE_INTERNAL_H

#include "tcpsim/wire.h"

/* Write only the IPv4/IPv6 header for a payload of payload_len bytes (which the
 * caller places after it). */
enum tcpsim_err tcpsim__ip_header_encode(const struct tcpsim_ip *ip, size_t payload_len, uint8_t *buf, size_t cap,
                                         size_t *written) TCPSIM_WUR;

#endif
