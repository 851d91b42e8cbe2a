/* wire_internal.h - helpers shared inside src/wire (not public API). */
#ifndef TCPSIM_WIRE_INTERNAL_H
#define TCPSIM_WIRE_INTERNAL_H

#include "tcpsim/wire.h"

/* Write only the IPv4/IPv6 header for a payload of payload_len bytes (which the
 * caller places after it). */
enum tcpsim_err tcpsim__ip_header_encode(const struct tcpsim_ip *ip, size_t payload_len, uint8_t *buf, size_t cap,
                                         size_t *written) TCPSIM_WUR;

/* The decoders' general code. The public decoders (tcpsim_link_decode,
 * tcpsim_ip_decode, tcpsim_tcp_opts_decode, tcpsim_tcp_decode) run a
 * straight-line path for the common layouts and fall back to these for
 * anything else, errors included; tests/wire/test_wire_diff.c checks that
 * both give the same result on every input it makes. */
enum tcpsim_err tcpsim__link_decode_generic(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link);
enum tcpsim_err tcpsim__ip_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_ip *ip);
enum tcpsim_err tcpsim__tcp_opts_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts);
enum tcpsim_err tcpsim__tcp_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_segment *seg);

#endif
