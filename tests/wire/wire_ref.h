/* wire_ref.h - the old wire decoders (wire_ref.c), the reference the
 * differential test compares the current ones with. Same contracts as
 * tcpsim_link_decode, tcpsim_ip_decode, tcpsim_tcp_decode and
 * tcpsim_tcp_opts_decode in include/tcpsim/wire.h. */
#ifndef TCPSIM_TEST_WIRE_REF_H
#define TCPSIM_TEST_WIRE_REF_H

#include "tcpsim/wire.h"

enum tcpsim_err ref_link_decode(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link);
enum tcpsim_err ref_ip_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip);
enum tcpsim_err ref_tcp_opts_decode(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts);
enum tcpsim_err ref_tcp_decode(const uint8_t *buf, size_t len, struct tcpsim_segment *seg);

#endif
