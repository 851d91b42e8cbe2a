/* test_wire_diff.h - the differential tests of test_wire_diff.c, registered
 * in test_wire.c's main (one test executable per module). */
#ifndef TCPSIM_TEST_WIRE_DIFF_H
#define TCPSIM_TEST_WIRE_DIFF_H

void test_diff_captures_every_packet_prefix_and_flip_same(void **state);
void test_diff_vectors_every_prefix_and_flip_same(void **state);
void test_diff_tcp_every_option_kind_and_length_same(void **state);
void test_diff_tcp_random_option_lists_same(void **state);
void test_diff_ipv4_every_header_length_same(void **state);
void test_diff_ipv6_every_next_header_same(void **state);
void test_diff_link_every_type_and_tag_same(void **state);

#endif
