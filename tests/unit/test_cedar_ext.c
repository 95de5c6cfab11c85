/*
 * Cedar extension types (policyd/cedar/ext.c) against the reference.
 *
 * Registered by policyd/cedar/meson.build (owned by the engine) as test
 * `cedar_ext`, linking policyd/cedar/ext.c.
 *
 * The tables between the GENERATED markers are the answers of cedar-wasm
 * 4.5.0 itself, written by `tests/cedar/probe_ext.js --write-c <this file>`
 * (see that file for how to run it); add inputs there and regenerate
 * rather than edit them. Each row states whether the reference accepts the
 * string and what value it computes.
 *
 *   cc -Wall -Wextra -Werror -O2 -std=gnu11 -D_GNU_SOURCE \
 *     policyd/cedar/ext.c tests/unit/test_cedar_ext.c -lcmocka
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../policyd/cedar/ext.h"

struct ip_case {
	const char *s;
	size_t n;
	bool ok;
	bool v6;
	uint8_t prefix;
	uint8_t addr[16];
	bool loopback;
	bool multicast;
};

struct ip_pair_case {
	const char *a;
	size_t an;
	const char *b;
	size_t bn;
	bool in_range;
	bool equal;
};

struct parse_case {
	const char *s;
	size_t n;
	bool ok;
	int64_t v;
};

/* toMilliseconds, toSeconds, toMinutes, toHours, toDays */
struct duration_to_case {
	int64_t v[5];
};

struct to_date_case {
	int64_t dt;
	bool date_ok;
	int64_t date;
	int64_t time;
};

struct offset_case {
	int64_t dt;
	int64_t other;
	bool offset_ok;
	int64_t offset;
	bool since_ok;
	int64_t since;
};

/* clang-format off */
/* GENERATED BEGIN */
static const struct ip_case ip_cases[] = {
	{"1.2.3.4", 7, true, false, 32, {0x01, 0x02, 0x03, 0x04}, false, false},
	{"0.0.0.0", 7, true, false, 32, {0x00, 0x00, 0x00, 0x00}, false, false},
	{"255.255.255.255", 15, true, false, 32, {0xff, 0xff, 0xff, 0xff}, false, false},
	{"256.0.0.0", 9, false, false, 0, {0}, false, false},
	{"1.2.3.256", 9, false, false, 0, {0}, false, false},
	{"01.2.3.4", 8, false, false, 0, {0}, false, false},
	{"1.2.3.04", 8, false, false, 0, {0}, false, false},
	{"1.2.3.00", 8, false, false, 0, {0}, false, false},
	{"000.0.0.0", 9, false, false, 0, {0}, false, false},
	{"1.2.3", 5, false, false, 0, {0}, false, false},
	{"1.2.3.4.5", 9, false, false, 0, {0}, false, false},
	{"1..3.4", 6, false, false, 0, {0}, false, false},
	{".1.2.3", 6, false, false, 0, {0}, false, false},
	{"1.2.3.", 6, false, false, 0, {0}, false, false},
	{"1.2.3.4 ", 8, false, false, 0, {0}, false, false},
	{" 1.2.3.4", 8, false, false, 0, {0}, false, false},
	{"1.2.3.-4", 8, false, false, 0, {0}, false, false},
	{"1.2.3.+4", 8, false, false, 0, {0}, false, false},
	{"0x1.2.3.4", 9, false, false, 0, {0}, false, false},
	{"1234.1.1.1", 10, false, false, 0, {0}, false, false},
	{"127.1", 5, false, false, 0, {0}, false, false},
	{"2130706433", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4:80", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4%eth0", 12, false, false, 0, {0}, false, false},
	{"", 0, false, false, 0, {0}, false, false},
	{"1.2.3.4\000", 8, false, false, 0, {0}, false, false},
	{"\000", 1, false, false, 0, {0}, false, false},
	{"1.2\000.3.4", 8, false, false, 0, {0}, false, false},
	{"1.2.3.4/0", 9, true, false, 0, {0x01, 0x02, 0x03, 0x04}, false, false},
	{"1.2.3.4/00", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/08", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/8", 9, true, false, 8, {0x01, 0x02, 0x03, 0x04}, false, false},
	{"1.2.3.4/32", 10, true, false, 32, {0x01, 0x02, 0x03, 0x04}, false, false},
	{"1.2.3.4/33", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/", 8, false, false, 0, {0}, false, false},
	{"1.2.3.4/+8", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/8/8", 11, false, false, 0, {0}, false, false},
	{"1.2.3.4/ 8", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/-0", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/8:", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/8 ", 10, false, false, 0, {0}, false, false},
	{"1.2.3.4/1.2", 11, false, false, 0, {0}, false, false},
	{"/8", 2, false, false, 0, {0}, false, false},
	{"10.1.2.3/8", 10, true, false, 8, {0x0a, 0x01, 0x02, 0x03}, false, false},
	{"1.2.3.4/032", 11, false, false, 0, {0}, false, false},
	{"1.2.3.4/100", 11, false, false, 0, {0}, false, false},
	{"::", 2, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"::1", 3, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, true, false},
	{"1::", 3, true, true, 128, {0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"1:2:3:4:5:6:7:8", 15, true, true, 128, {0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08}, false, false},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 39, true, true, 128, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false, true},
	{"FFFF::", 6, true, true, 128, {0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, true},
	{"fFfF::aBcD", 10, true, true, 128, {0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xab, 0xcd}, false, true},
	{"1:2:3:4:5:6:7::", 15, true, true, 128, {0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x00}, false, false},
	{"::1:2:3:4:5:6:7", 15, true, true, 128, {0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07}, false, false},
	{"1:2:3:4:5:6:7:8::", 17, false, false, 0, {0}, false, false},
	{"::1:2:3:4:5:6:7:8", 17, false, false, 0, {0}, false, false},
	{"1::2::3", 7, false, false, 0, {0}, false, false},
	{":::", 3, false, false, 0, {0}, false, false},
	{"1:::2", 5, false, false, 0, {0}, false, false},
	{"1:2:3:4:5:6:7", 13, false, false, 0, {0}, false, false},
	{":1:2:3:4:5:6:7:8", 16, false, false, 0, {0}, false, false},
	{"1:2:3:4:5:6:7:8:", 16, false, false, 0, {0}, false, false},
	{"1:2:3:4:5:6:7:8:9", 17, false, false, 0, {0}, false, false},
	{"00001::", 7, false, false, 0, {0}, false, false},
	{"0001::", 6, true, true, 128, {0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"::00001", 7, false, false, 0, {0}, false, false},
	{"1:2", 3, false, false, 0, {0}, false, false},
	{":", 1, false, false, 0, {0}, false, false},
	{"::g", 3, false, false, 0, {0}, false, false},
	{"g::", 3, false, false, 0, {0}, false, false},
	{"0000:0000:0000:0000:0000:0000:0000:0001", 39, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, true, false},
	{"2001:db8:0:0:1:0:0:1", 20, true, true, 128, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"2001:db8::1:0:0:1", 17, true, true, 128, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"2001:0db8:0000:0000:0000:0000:0000:0001", 39, true, true, 128, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"fe80::1%eth0", 12, false, false, 0, {0}, false, false},
	{"[::1]", 5, false, false, 0, {0}, false, false},
	{" ::1", 4, false, false, 0, {0}, false, false},
	{"::1 ", 4, false, false, 0, {0}, false, false},
	{"::1.2.3.4", 9, false, false, 0, {0}, false, false},
	{"::ffff:1.2.3.4", 14, false, false, 0, {0}, false, false},
	{"::ffff:127.0.0.1", 16, false, false, 0, {0}, false, false},
	{"1::1.2", 6, false, false, 0, {0}, false, false},
	{"::ffff:1.2.3", 12, false, false, 0, {0}, false, false},
	{"1:2:3:4:5:6:1.2.3.4", 19, false, false, 0, {0}, false, false},
	{"::ffff:ff00:1", 13, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01}, false, false},
	{"::ffff:7f00:1", 13, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x01}, false, false},
	{"::ffff:102:304", 14, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04}, false, false},
	{"::/0", 4, true, true, 0, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"::/128", 6, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"::/129", 6, false, false, 0, {0}, false, false},
	{"::/0128", 7, false, false, 0, {0}, false, false},
	{"::/012", 6, false, false, 0, {0}, false, false},
	{"::/00", 5, false, false, 0, {0}, false, false},
	{"::1/127", 7, true, true, 127, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"::1/128", 7, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, true, false},
	{"2001:db8::/32", 13, true, true, 32, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"ff00::/8", 8, true, true, 8, {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, true},
	{"ff00::/7", 8, true, true, 7, {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	{"ff02::1/16", 10, true, true, 16, {0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, true},
	{"0000:0000:0000:0000:0000:0000:0000:0001/128", 43, true, true, 128, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, true, false},
	{"0000:0000:0000:0000:0000:0000:0000:0001/12", 42, true, true, 12, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"::/1000", 7, false, false, 0, {0}, false, false},
	{"::1/1.2", 7, false, false, 0, {0}, false, false},
	{"1:2:3:4:5:6:7:8/64", 18, true, true, 64, {0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08}, false, false},
	{"127.0.0.1", 9, true, false, 32, {0x7f, 0x00, 0x00, 0x01}, true, false},
	{"127.0.0.0/8", 11, true, false, 8, {0x7f, 0x00, 0x00, 0x00}, true, false},
	{"127.0.0.0/7", 11, true, false, 7, {0x7f, 0x00, 0x00, 0x00}, false, false},
	{"127.255.255.255", 15, true, false, 32, {0x7f, 0xff, 0xff, 0xff}, true, false},
	{"127.1.2.3/9", 11, true, false, 9, {0x7f, 0x01, 0x02, 0x03}, true, false},
	{"126.255.255.255", 15, true, false, 32, {0x7e, 0xff, 0xff, 0xff}, false, false},
	{"128.0.0.0", 9, true, false, 32, {0x80, 0x00, 0x00, 0x00}, false, false},
	{"224.0.0.0/4", 11, true, false, 4, {0xe0, 0x00, 0x00, 0x00}, false, true},
	{"224.0.0.0/3", 11, true, false, 3, {0xe0, 0x00, 0x00, 0x00}, false, false},
	{"225.1.2.3/3", 11, true, false, 3, {0xe1, 0x01, 0x02, 0x03}, false, false},
	{"239.255.255.255", 15, true, false, 32, {0xef, 0xff, 0xff, 0xff}, false, true},
	{"240.0.0.1", 9, true, false, 32, {0xf0, 0x00, 0x00, 0x01}, false, false},
	{"223.255.255.255", 15, true, false, 32, {0xdf, 0xff, 0xff, 0xff}, false, false},
	{"ff02::1", 7, true, true, 128, {0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, true},
	{"fe80::1", 7, true, true, 128, {0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	{"ff00::", 6, true, true, 128, {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, true},
};

static const struct ip_pair_case ip_pair_cases[] = {
	{"10.1.2.3", 8, "10.0.0.0/8", 10, true, false},
	{"10.0.0.0/8", 10, "10.1.2.3", 8, false, false},
	{"10.0.0.0/8", 10, "10.0.0.0/8", 10, true, true},
	{"10.1.2.3/8", 10, "10.0.0.0/8", 10, true, false},
	{"10.0.0.0/8", 10, "10.1.2.3/8", 10, true, false},
	{"10.0.0.0/7", 10, "10.0.0.0/8", 10, false, false},
	{"11.0.0.0", 8, "10.0.0.0/7", 10, true, false},
	{"12.0.0.0", 8, "10.0.0.0/7", 10, false, false},
	{"1.2.3.4/0", 9, "0.0.0.0/0", 9, true, false},
	{"0.0.0.0/0", 9, "1.2.3.4/0", 9, true, false},
	{"1.2.3.4", 7, "1.2.3.4", 7, true, true},
	{"1.2.3.4", 7, "1.2.3.5", 7, false, false},
	{"255.255.255.255", 15, "255.255.255.254/31", 18, true, false},
	{"1.2.3.4", 7, "::/0", 4, false, false},
	{"::1", 3, "0.0.0.0/0", 9, false, false},
	{"::ffff:102:304", 14, "1.2.3.4/32", 10, false, false},
	{"1.2.3.4", 7, "::ffff:102:304/96", 17, false, false},
	{"2001:db8::1", 11, "2001:db8::/32", 13, true, false},
	{"2001:db9::1", 11, "2001:db8::/32", 13, false, false},
	{"::1", 3, "::/127", 6, true, false},
	{"::/0", 4, "::/1", 4, false, false},
	{"::/1", 4, "::/0", 4, true, false},
	{"8000::", 6, "::/1", 4, false, false},
	{"2001:db8::/48", 13, "2001:db8::/32", 13, true, false},
	{"2001:db8::/31", 13, "2001:db8::/32", 13, false, false},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 39, "ffff::/16", 9, true, false},
	{"1.2.3.4", 7, "1.2.3.4/32", 10, true, true},
	{"::1", 3, "0:0:0:0:0:0:0:1", 15, true, true},
	{"::1", 3, "::1/128", 7, true, true},
	{"1.2.3.4", 7, "::ffff:102:304", 14, false, false},
	{"10.1.2.3/8", 10, "10.0.0.0/8", 10, true, false},
	{"::/0", 4, "0.0.0.0/0", 9, false, false},
};

static const struct parse_case decimal_cases[] = {
	{"0.0", 3, true, INT64_C(0)},
	{"-0.0", 4, true, INT64_C(0)},
	{"1.0", 3, true, INT64_C(10000)},
	{"-1.0", 4, true, INT64_C(-10000)},
	{"1.5", 3, true, INT64_C(15000)},
	{"-1.5", 4, true, INT64_C(-15000)},
	{"1.05", 4, true, INT64_C(10500)},
	{"1.0500", 6, true, INT64_C(10500)},
	{"0.0001", 6, true, INT64_C(1)},
	{"-0.0001", 7, true, INT64_C(1)},
	{"-0.5", 4, true, INT64_C(5000)},
	{"-00.5", 5, true, INT64_C(5000)},
	{"-0.9999", 7, true, INT64_C(9999)},
	{"-1.0001", 7, true, INT64_C(-10001)},
	{"00.0001", 7, true, INT64_C(1)},
	{"0001.5", 6, true, INT64_C(15000)},
	{"123.456", 7, true, INT64_C(1234560)},
	{"-123.456", 8, true, INT64_C(-1234560)},
	{"1.2345", 6, true, INT64_C(12345)},
	{"1.23456", 7, false, 0},
	{"1.00000", 7, false, 0},
	{"922337203685477.5807", 20, true, INT64_C(9223372036854775807)},
	{"922337203685477.5808", 20, false, 0},
	{"-922337203685477.5808", 21, true, INT64_MIN},
	{"-922337203685477.5809", 21, false, 0},
	{"922337203685478.0", 17, false, 0},
	{"-922337203685478.0", 18, false, 0},
	{"9223372036854775807.0", 21, false, 0},
	{"-9223372036854775808.0", 22, false, 0},
	{"99999999999999999999.0", 22, false, 0},
	{"000000000000000000000000001.0", 29, true, INT64_C(10000)},
	{"1.", 2, false, 0},
	{".5", 2, false, 0},
	{"-.5", 3, false, 0},
	{"1", 1, false, 0},
	{"-1", 2, false, 0},
	{"+1.0", 4, false, 0},
	{"1.0 ", 4, false, 0},
	{" 1.0", 4, false, 0},
	{"1..0", 4, false, 0},
	{"1.0.0", 5, false, 0},
	{"1,0", 3, false, 0},
	{"1e3.0", 5, false, 0},
	{"0x1.0", 5, false, 0},
	{"", 0, false, 0},
	{"-", 1, false, 0},
	{".", 1, false, 0},
	{"-1.", 3, false, 0},
	{"--1.0", 5, false, 0},
	{"- 1.0", 5, false, 0},
	{"\331\241.\331\240", 5, false, 0},
	{"1.\331\240", 4, false, 0},
	{"1.0\012", 4, false, 0},
	{"1.0\000", 4, false, 0},
	{"1\000.0", 4, false, 0},
};

static const struct parse_case datetime_cases[] = {
	{"1970-01-01", 10, true, INT64_C(0)},
	{"2024-10-15", 10, true, INT64_C(1728950400000)},
	{"2024-10-15T11:38:02Z", 20, true, INT64_C(1728992282000)},
	{"2024-10-15T11:38:02.101Z", 24, true, INT64_C(1728992282101)},
	{"2024-10-15T11:38:02.000Z", 24, true, INT64_C(1728992282000)},
	{"2024-10-15T11:38:02.101+1134", 28, true, INT64_C(1728950642101)},
	{"2024-10-15T11:38:02.101-1134", 28, true, INT64_C(1729033922101)},
	{"2024-10-15T11:38:02+1134", 24, true, INT64_C(1728950642000)},
	{"2024-10-15T23:59:00+2359", 24, true, INT64_C(1728950400000)},
	{"2024-10-15T00:00:00-2359", 24, true, INT64_C(1729036740000)},
	{"2024-10-15T11:38:02-0000", 24, true, INT64_C(1728992282000)},
	{"2024-10-15T11:38:02+0000", 24, true, INT64_C(1728992282000)},
	{"1969-12-31T23:59:59.999Z", 24, true, INT64_C(-1)},
	{"1969-12-31", 10, true, INT64_C(-86400000)},
	{"0000-01-01", 10, true, INT64_C(-62167219200000)},
	{"0000-01-01T00:00:00+2359", 24, true, INT64_C(-62167305540000)},
	{"0000-02-29", 10, true, INT64_C(-62162121600000)},
	{"0000-03-01", 10, true, INT64_C(-62162035200000)},
	{"9999-12-31", 10, true, INT64_C(253402214400000)},
	{"9999-12-31T23:59:59.999Z", 24, true, INT64_C(253402300799999)},
	{"9999-12-31T23:59:59.999-2359", 28, true, INT64_C(253402387139999)},
	{"2024-02-29", 10, true, INT64_C(1709164800000)},
	{"2023-02-29", 10, false, 0},
	{"1900-02-29", 10, false, 0},
	{"2000-02-29", 10, true, INT64_C(951782400000)},
	{"2100-02-29", 10, false, 0},
	{"2024-04-30", 10, true, INT64_C(1714435200000)},
	{"2024-04-31", 10, false, 0},
	{"2024-06-31", 10, false, 0},
	{"2024-13-01", 10, false, 0},
	{"2024-00-10", 10, false, 0},
	{"2024-01-00", 10, false, 0},
	{"2024-01-32", 10, false, 0},
	{"2024-12-31T23:59:59Z", 20, true, INT64_C(1735689599000)},
	{"2024-10-15T24:00:00Z", 20, false, 0},
	{"2024-10-15T23:60:00Z", 20, false, 0},
	{"2024-10-15T23:59:60Z", 20, false, 0},
	{"2016-12-31T23:59:60Z", 20, false, 0},
	{"2024-10-15T99:00:00Z", 20, false, 0},
	{"2024-10-15T11:38:02+2400", 24, false, 0},
	{"2024-10-15T11:38:02+2360", 24, false, 0},
	{"2024-10-15T11:38:02-2400", 24, false, 0},
	{"2024-10-15T11:38:02+0060", 24, false, 0},
	{"2024-10-15T11:38:02+2359", 24, true, INT64_C(1728905942000)},
	{"2024-10-15T11:38:02-2359", 24, true, INT64_C(1729078622000)},
	{"2024-10-15T11:38:02+24:00", 25, false, 0},
	{"2024-10-15T11:38:02+123", 23, false, 0},
	{"2024-10-15T11:38:02+12345", 25, false, 0},
	{"2024-10-15T11:38:02+12", 22, false, 0},
	{"2024-10-15T11:38:02ZZ", 21, false, 0},
	{"2024-10-15T11:38:02Z ", 21, false, 0},
	{"2024-10-15T11:38:02Z\012", 21, false, 0},
	{"2024-10-15T11:38:02z", 20, false, 0},
	{"2024-10-15t11:38:02Z", 20, false, 0},
	{"2024-10-15T11:38:02.1Z", 22, false, 0},
	{"2024-10-15T11:38:02.12Z", 23, false, 0},
	{"2024-10-15T11:38:02.1234Z", 25, false, 0},
	{"2024-10-15T11:38:02.Z", 21, false, 0},
	{"2024-10-15T11:38:02.123", 23, false, 0},
	{"2024-10-15T11:38:02", 19, false, 0},
	{"2024-10-15T11:38:02.123+0100", 28, true, INT64_C(1728988682123)},
	{"2024-10-15T11:38:02,123Z", 24, false, 0},
	{"2024-10-15Z", 11, false, 0},
	{"2024-10-15T", 11, false, 0},
	{"2024-10-15T11:38Z", 17, false, 0},
	{"2024-10-15T1:38:02Z", 19, false, 0},
	{"2024-10-15 11:38:02Z", 20, false, 0},
	{"2024-10-15 ", 11, false, 0},
	{" 2024-10-15", 11, false, 0},
	{"+2024-10-15", 11, false, 0},
	{"-2024-10-15", 11, false, 0},
	{"2024-1-15", 9, false, 0},
	{"2024-10-5", 9, false, 0},
	{"10000-01-01", 11, false, 0},
	{"99999-01-01", 11, false, 0},
	{"", 0, false, 0},
	{"2024/10/15", 10, false, 0},
	{"2024-10-15T11:38:02+01:00", 25, false, 0},
	{"2024-10-15T11:38:02UTC", 22, false, 0},
	{"2024-10-15T11:38:02.123456Z", 27, false, 0},
	{"\331\242024-10-15", 11, false, 0},
	{"2024-10-15\000", 11, false, 0},
	{"2024-10-15T11:38:02Z\000", 21, false, 0},
};

static const struct parse_case duration_cases[] = {
	{"1d2h3m4s5ms", 11, true, INT64_C(93784005)},
	{"1ms", 3, true, INT64_C(1)},
	{"1s", 2, true, INT64_C(1000)},
	{"1m", 2, true, INT64_C(60000)},
	{"1h", 2, true, INT64_C(3600000)},
	{"1d", 2, true, INT64_C(86400000)},
	{"0ms", 3, true, INT64_C(0)},
	{"0d", 2, true, INT64_C(0)},
	{"-0ms", 4, true, INT64_C(0)},
	{"-0d", 3, true, INT64_C(0)},
	{"-1d2h", 5, true, INT64_C(-93600000)},
	{"1h30m", 5, true, INT64_C(5400000)},
	{"1m1ms", 5, true, INT64_C(60001)},
	{"1s1ms", 5, true, INT64_C(1001)},
	{"1d1ms", 5, true, INT64_C(86400001)},
	{"1d1h1m1s1ms", 11, true, INT64_C(90061001)},
	{"-1d1h1m1s1ms", 12, true, INT64_C(-90061001)},
	{"90m", 3, true, INT64_C(5400000)},
	{"25h", 3, true, INT64_C(90000000)},
	{"1000ms", 6, true, INT64_C(1000)},
	{"0000000000000000000000001d", 26, true, INT64_C(86400000)},
	{"1d0ms", 5, true, INT64_C(86400000)},
	{"9223372036854775807ms", 21, true, INT64_C(9223372036854775807)},
	{"9223372036854775808ms", 21, false, 0},
	{"-9223372036854775808ms", 22, true, INT64_MIN},
	{"-9223372036854775809ms", 22, false, 0},
	{"18446744073709551615ms", 22, false, 0},
	{"18446744073709551616ms", 22, false, 0},
	{"99999999999999999999999ms", 25, false, 0},
	{"106751991167d", 13, true, INT64_C(9223372036828800000)},
	{"106751991168d", 13, false, 0},
	{"-106751991167d", 14, true, INT64_C(-9223372036828800000)},
	{"-106751991168d", 14, false, 0},
	{"106751991167d7h", 15, true, INT64_C(9223372036854000000)},
	{"106751991167d8h", 15, false, 0},
	{"9223372036854775s807ms", 22, true, INT64_C(9223372036854775807)},
	{"9223372036854775s808ms", 22, false, 0},
	{"-9223372036854775s808ms", 23, true, INT64_MIN},
	{"-9223372036854775s809ms", 23, false, 0},
	{"153722867280912m55s807ms", 24, true, INT64_C(9223372036854775807)},
	{"2562047788015215h", 17, false, 0},
	{"2562047788015216h", 17, false, 0},
	{"", 0, false, 0},
	{"-", 1, false, 0},
	{"--1d", 4, false, 0},
	{"+1d", 3, false, 0},
	{"1", 1, false, 0},
	{"d", 1, false, 0},
	{"ms", 2, false, 0},
	{"-ms", 3, false, 0},
	{"1.5h", 4, false, 0},
	{"1y", 2, false, 0},
	{"1us", 3, false, 0},
	{"1ns", 3, false, 0},
	{"1msms", 5, false, 0},
	{"1mms", 4, false, 0},
	{"1s1m", 4, false, 0},
	{"1h1d", 4, false, 0},
	{"1ms1s", 5, false, 0},
	{"1d1d", 4, false, 0},
	{"1m1m", 4, false, 0},
	{"1ms1ms", 6, false, 0},
	{"1ms1", 4, false, 0},
	{"1h-1m", 5, false, 0},
	{"1D", 2, false, 0},
	{"1H", 2, false, 0},
	{"1M", 2, false, 0},
	{"1S", 2, false, 0},
	{"1MS", 3, false, 0},
	{"1m s", 4, false, 0},
	{"1h 1m", 5, false, 0},
	{" 1d", 3, false, 0},
	{"1d ", 3, false, 0},
	{"1d\012", 3, false, 0},
	{"-1d-1h", 6, false, 0},
	{"1d-", 3, false, 0},
	{"1dh", 3, false, 0},
	{"\331\241d", 3, false, 0},
	{"1d\000", 3, false, 0},
	{"1\000d", 3, false, 0},
};

static const struct duration_to_case duration_to_cases[] = {
	{{INT64_C(0), INT64_C(0), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(999), INT64_C(0), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(1000), INT64_C(1), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-1), INT64_C(0), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-999), INT64_C(0), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-1000), INT64_C(-1), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-1999), INT64_C(-1), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(59000), INT64_C(59), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-59000), INT64_C(-59), INT64_C(0), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-61000), INT64_C(-61), INT64_C(-1), INT64_C(0), INT64_C(0)}},
	{{INT64_C(3599999), INT64_C(3599), INT64_C(59), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-3599999), INT64_C(-3599), INT64_C(-59), INT64_C(0), INT64_C(0)}},
	{{INT64_C(-3600001), INT64_C(-3600), INT64_C(-60), INT64_C(-1), INT64_C(0)}},
	{{INT64_C(86340000), INT64_C(86340), INT64_C(1439), INT64_C(23), INT64_C(0)}},
	{{INT64_C(-86340000), INT64_C(-86340), INT64_C(-1439), INT64_C(-23), INT64_C(0)}},
	{{INT64_C(-86400001), INT64_C(-86400), INT64_C(-1440), INT64_C(-24), INT64_C(-1)}},
	{{INT64_C(86400000), INT64_C(86400), INT64_C(1440), INT64_C(24), INT64_C(1)}},
	{{INT64_C(-86400000), INT64_C(-86400), INT64_C(-1440), INT64_C(-24), INT64_C(-1)}},
	{{INT64_C(9223372036854775807), INT64_C(9223372036854775), INT64_C(153722867280912), INT64_C(2562047788015), INT64_C(106751991167)}},
	{{INT64_MIN, INT64_C(-9223372036854775), INT64_C(-153722867280912), INT64_C(-2562047788015), INT64_C(-106751991167)}},
};

static const struct to_date_case to_date_cases[] = {
	{INT64_C(0), true, INT64_C(0), INT64_C(0)},
	{INT64_C(1), true, INT64_C(0), INT64_C(1)},
	{INT64_C(-1), true, INT64_C(-86400000), INT64_C(86399999)},
	{INT64_C(86399999), true, INT64_C(0), INT64_C(86399999)},
	{INT64_C(86400000), true, INT64_C(86400000), INT64_C(0)},
	{INT64_C(-86399999), true, INT64_C(-86400000), INT64_C(1)},
	{INT64_C(-86400000), true, INT64_C(-86400000), INT64_C(0)},
	{INT64_C(-86400001), true, INT64_C(-172800000), INT64_C(86399999)},
	{INT64_C(1728992282101), true, INT64_C(1728950400000), INT64_C(41882101)},
	{INT64_C(-62167219200000), true, INT64_C(-62167219200000), INT64_C(0)},
	{INT64_C(253402300799999), true, INT64_C(253402214400000), INT64_C(86399999)},
	{INT64_C(9223372036854775807), true, INT64_C(9223372036828800000), INT64_C(25975807)},
	{INT64_MIN, false, 0, INT64_C(60424192)},
	{INT64_C(-9223372036768375808), true, INT64_C(-9223372036828800000), INT64_C(60424192)},
	{INT64_C(-9223372036768375809), true, INT64_C(-9223372036828800000), INT64_C(60424191)},
	{INT64_C(-9223372036854775807), false, 0, INT64_C(60424193)},
	{INT64_C(9223372036854775806), true, INT64_C(9223372036828800000), INT64_C(25975806)},
	{INT64_C(-9223372036800000000), true, INT64_C(-9223372036828800000), INT64_C(28800000)},
	{INT64_C(-9223372036800000001), true, INT64_C(-9223372036828800000), INT64_C(28799999)},
	{INT64_C(-9223372036854400000), false, 0, INT64_C(60800000)},
	{INT64_C(-9223372036828800000), true, INT64_C(-9223372036828800000), INT64_C(0)},
	{INT64_C(-9223372036828800001), false, 0, INT64_C(86399999)},
};

static const struct offset_case offset_cases[] = {
	{INT64_C(0), INT64_C(0), true, INT64_C(0), true, INT64_C(0)},
	{INT64_C(1728992282101), INT64_C(-1728992282101), true, INT64_C(0), true, INT64_C(3457984564202)},
	{INT64_C(9223372036854775807), INT64_C(0), true, INT64_C(9223372036854775807), true, INT64_C(9223372036854775807)},
	{INT64_C(9223372036854775807), INT64_C(1), false, 0, true, INT64_C(9223372036854775806)},
	{INT64_MIN, INT64_C(-1), false, 0, true, INT64_C(-9223372036854775807)},
	{INT64_MIN, INT64_C(0), true, INT64_MIN, true, INT64_MIN},
	{INT64_C(-1), INT64_MIN, false, 0, true, INT64_C(9223372036854775807)},
	{INT64_C(0), INT64_MIN, true, INT64_MIN, false, 0},
	{INT64_C(1), INT64_C(9223372036854775807), false, 0, true, INT64_C(-9223372036854775806)},
	{INT64_C(-1), INT64_C(9223372036854775807), true, INT64_C(9223372036854775806), true, INT64_MIN},
	{INT64_C(9223372036854775807), INT64_MIN, true, INT64_C(-1), false, 0},
	{INT64_C(253402300799999), INT64_C(9223118634553975808), true, INT64_C(9223372036854775807), true, INT64_C(-9222865232253175809)},
	{INT64_C(253402300799999), INT64_C(9223118634553975809), false, 0, true, INT64_C(-9222865232253175810)},
};
/* GENERATED END */
/* clang-format on */

#define NCASES(t) (sizeof(t) / sizeof((t)[0]))

/* On failure the row is printed, so a regression names its input. */
static void fail_row(const char *kind, const char *s, size_t n)
{
	print_error("%s case \"%.*s\" (%zu bytes)\n", kind, (int)n, s, n);
}

static void ip_parse_matches_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(ip_cases); i++) {
		const struct ip_case *c = &ip_cases[i];
		struct cedar_ipaddr ip;
		int r = cedar_ip_parse(c->s, c->n, &ip);

		if ((r == 0) != c->ok)
			fail_row("ip", c->s, c->n);
		assert_int_equal(r, c->ok ? 0 : -1);
		if (!c->ok)
			continue;
		assert_int_equal(ip.v6, c->v6);
		assert_int_equal(cedar_ip_is_ipv6(&ip), c->v6);
		assert_int_equal(cedar_ip_is_ipv4(&ip), !c->v6);
		assert_int_equal(ip.prefix, c->prefix);
		assert_memory_equal(ip.addr, c->addr, c->v6 ? 16 : 4);
		if (cedar_ip_is_loopback(&ip) != c->loopback ||
		    cedar_ip_is_multicast(&ip) != c->multicast)
			fail_row("ip", c->s, c->n);
		assert_int_equal(cedar_ip_is_loopback(&ip), c->loopback);
		assert_int_equal(cedar_ip_is_multicast(&ip), c->multicast);
	}
}

static void ip_range_and_equality_match_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(ip_pair_cases); i++) {
		const struct ip_pair_case *c = &ip_pair_cases[i];
		struct cedar_ipaddr a, b;

		assert_int_equal(cedar_ip_parse(c->a, c->an, &a), 0);
		assert_int_equal(cedar_ip_parse(c->b, c->bn, &b), 0);
		if (cedar_ip_in_range(&a, &b) != c->in_range ||
		    cedar_ip_equal(&a, &b) != c->equal)
			fail_row("ip pair", c->a, c->an);
		assert_int_equal(cedar_ip_in_range(&a, &b), c->in_range);
		assert_int_equal(cedar_ip_equal(&a, &b), c->equal);
		assert_int_equal(cedar_ip_equal(&b, &a), c->equal);
	}
}

static void check_parse_table(const char *kind, const struct parse_case *t,
                              size_t n,
                              int (*parse)(const char *, size_t, int64_t *))
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = INT64_C(0x5a5a5a5a5a5a5a5a);
		int r = parse(t[i].s, t[i].n, &v);

		if ((r == 0) != t[i].ok || (r == 0 && v != t[i].v))
			fail_row(kind, t[i].s, t[i].n);
		assert_int_equal(r, t[i].ok ? 0 : -1);
		/* a refused string leaves the output alone */
		assert_int_equal(v, t[i].ok ? t[i].v
		                            : INT64_C(0x5a5a5a5a5a5a5a5a));
	}
}

static void decimal_parse_matches_reference(void **state)
{
	(void)state;
	check_parse_table("decimal", decimal_cases, NCASES(decimal_cases),
	                  cedar_decimal_parse);
}

static void datetime_parse_matches_reference(void **state)
{
	(void)state;
	check_parse_table("datetime", datetime_cases, NCASES(datetime_cases),
	                  cedar_datetime_parse);
}

static void duration_parse_matches_reference(void **state)
{
	(void)state;
	check_parse_table("duration", duration_cases, NCASES(duration_cases),
	                  cedar_duration_parse);
}

static void duration_units_match_reference(void **state)
{
	static const enum cedar_dur_unit units[] = {
	    CEDAR_MS, CEDAR_S, CEDAR_MIN, CEDAR_H, CEDAR_D};
	(void)state;
	for (size_t i = 0; i < NCASES(duration_to_cases); i++) {
		const struct duration_to_case *c = &duration_to_cases[i];
		for (size_t u = 0; u < 5; u++)
			assert_int_equal(cedar_duration_to(c->v[0], units[u]),
			                 c->v[u]);
	}
}

static void datetime_to_date_and_time_match_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(to_date_cases); i++) {
		const struct to_date_case *c = &to_date_cases[i];
		int64_t date = 7;

		assert_int_equal(cedar_datetime_to_date(c->dt, &date),
		                 c->date_ok ? 0 : -1);
		assert_int_equal(date, c->date_ok ? c->date : 7);
		assert_int_equal(cedar_datetime_to_time(c->dt), c->time);
	}
}

static void datetime_offset_and_since_match_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(offset_cases); i++) {
		const struct offset_case *c = &offset_cases[i];
		int64_t off = 7, since = 7;

		assert_int_equal(cedar_datetime_offset(c->dt, c->other, &off),
		                 c->offset_ok ? 0 : -1);
		assert_int_equal(off, c->offset_ok ? c->offset : 7);
		assert_int_equal(cedar_datetime_since(c->dt, c->other, &since),
		                 c->since_ok ? 0 : -1);
		assert_int_equal(since, c->since_ok ? c->since : 7);
	}
}

/* The parsers read exactly n bytes: what follows is not looked at. */
static void parsers_stop_at_n(void **state)
{
	struct cedar_ipaddr ip;
	int64_t v;
	(void)state;

	assert_int_equal(cedar_ip_parse("10.0.0.1/8junk", 10, &ip), 0);
	assert_int_equal(ip.prefix, 8);
	assert_int_equal(cedar_ip_parse("10.0.0.1/8junk", 9, &ip), -1);
	assert_int_equal(cedar_ip_parse("10.0.0.1/8junk", 11, &ip), -1);
	assert_int_equal(cedar_ip_parse("10.0.0.1/8", 8, &ip), 0);
	assert_int_equal(ip.prefix, 32);
	assert_int_equal(cedar_ip_parse("::1", 0, &ip), -1);
	assert_int_equal(cedar_decimal_parse("1.23456", 6, &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(cedar_datetime_parse("2024-10-15T11", 10, &v), 0);
	assert_int_equal(v, INT64_C(1728950400000));
	assert_int_equal(cedar_duration_parse("1d2h", 2, &v), 0);
	assert_int_equal(v, 86400000);
	assert_int_equal(cedar_duration_parse("-1d", 1, &v), -1);
	assert_int_equal(cedar_duration_parse("", 0, &v), -1);
	assert_int_equal(cedar_decimal_parse(NULL, 0, &v), -1);
}

/* The reference refuses anything longer than 43 bytes before parsing. */
static void ip_longest_form_is_43_bytes(void **state)
{
	static const char s[] = "0000:0000:0000:0000:0000:0000:0000:0001/128";
	struct cedar_ipaddr ip;
	char buf[64];
	(void)state;

	assert_int_equal(sizeof(s) - 1, 43);
	assert_int_equal(cedar_ip_parse(s, 43, &ip), 0);
	snprintf(buf, sizeof(buf), "%s0", s); /* /1280: too long either way */
	assert_int_equal(cedar_ip_parse(buf, 44, &ip), -1);
}

static void ip_format_is_rust_display(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"10.1.2.3/8", "10.1.2.3/8"},
	    {"0.0.0.0", "0.0.0.0/32"},
	    {"::", "::/128"},
	    {"::/0", "::/0"},
	    {"::1", "::1/128"},
	    {"1::", "1::/128"},
	    {"FFFF::/8", "ffff::/8"},
	    {"0001:0db8::", "1:db8::/128"},
	    /* the first of two equally long zero runs is the one compressed */
	    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"},
	    {"1:0:0:1:0:0:0:1", "1:0:0:1::1/128"},
	    /* a single zero group is not compressed */
	    {"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0/128"},
	    {"1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8/128"},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/64",
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/64"},
	    /* v4-mapped prints dotted, v4-compatible does not */
	    {"::ffff:102:304", "::ffff:1.2.3.4/128"},
	    {"::102:304", "::102:304/128"},
	};
	(void)state;
	for (size_t i = 0; i < NCASES(cases); i++) {
		struct cedar_ipaddr ip;
		char buf[CEDAR_IP_FMT_MAX];
		size_t n;

		assert_int_equal(
		    cedar_ip_parse(cases[i].in, strlen(cases[i].in), &ip), 0);
		n = cedar_ip_format(&ip, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

/* snprintf contract: full length back, truncated text NUL-terminated. */
static void formats_truncate_safely(void **state)
{
	struct cedar_ipaddr ip;
	char buf[5];
	(void)state;

	assert_int_equal(cedar_ip_parse("10.1.2.3", 8, &ip), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(cedar_ip_format(&ip, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "10.1");
	assert_int_equal(cedar_ip_format(&ip, NULL, 0), 11);
	assert_int_equal(cedar_decimal_format(-15000, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "-1.5");
	assert_int_equal(cedar_duration_format(123456, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "1234");
	assert_int_equal(
	    cedar_datetime_format(0, buf, sizeof(buf)),
	    strlen("(datetime(\"1970-01-01\")).offset(duration(\"0ms\"))"));
	assert_string_equal(buf, "(dat");
}

static void decimal_format_has_four_digits(void **state)
{
	static const struct {
		int64_t v;
		const char *out;
	} cases[] = {
	    {0, "0.0000"},
	    {1, "0.0001"},
	    {10500, "1.0500"},
	    {-15000, "-1.5000"},
	    {-1, "-0.0001"},
	    {INT64_MAX, "922337203685477.5807"},
	    {INT64_MIN, "-922337203685477.5808"},
	};
	(void)state;
	for (size_t i = 0; i < NCASES(cases); i++) {
		char buf[CEDAR_DECIMAL_FMT_MAX];
		assert_int_equal(
		    cedar_decimal_format(cases[i].v, buf, sizeof(buf)),
		    strlen(cases[i].out));
		assert_string_equal(buf, cases[i].out);
	}
}

/* Every decimal the reference accepts reads back from its own format,
 * except the values in (-1, 0), which no string produces. */
static void decimal_format_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(decimal_cases); i++) {
		char buf[CEDAR_DECIMAL_FMT_MAX];
		int64_t v;
		size_t n;

		if (!decimal_cases[i].ok)
			continue;
		n = cedar_decimal_format(decimal_cases[i].v, buf, sizeof(buf));
		assert_int_equal(cedar_decimal_parse(buf, n, &v), 0);
		assert_int_equal(v, decimal_cases[i].v);
	}
}

/* The forms the reference prints in its overflow messages, e.g.
 * (datetime("1970-01-01")).offset(duration("253402214400000ms"))
 * +(9223372036854775807ms) for datetime("9999-12-31").offset(...). */
static void time_formats_match_reference_messages(void **state)
{
	char buf[CEDAR_TIME_FMT_MAX];
	(void)state;

	cedar_datetime_format(INT64_C(253402214400000), buf, sizeof(buf));
	assert_string_equal(buf, "(datetime(\"1970-01-01\")).offset(duration("
	                         "\"253402214400000ms\"))");
	cedar_duration_format(INT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "9223372036854775807ms");
	assert_true(cedar_datetime_format(INT64_MIN, buf, sizeof(buf)) <
	            sizeof(buf));
	assert_string_equal(buf, "(datetime(\"1970-01-01\")).offset(duration("
	                         "\"-9223372036854775808ms\"))");
}

/* isInRange is a containment test: every accepted address is in its own
 * range, and v4 and v6 never contain each other. */
static void ip_in_range_is_reflexive_and_family_bound(void **state)
{
	struct cedar_ipaddr any4, any6;
	(void)state;

	assert_int_equal(cedar_ip_parse("0.0.0.0/0", 9, &any4), 0);
	assert_int_equal(cedar_ip_parse("::/0", 4, &any6), 0);
	for (size_t i = 0; i < NCASES(ip_cases); i++) {
		struct cedar_ipaddr ip;
		if (!ip_cases[i].ok)
			continue;
		assert_int_equal(
		    cedar_ip_parse(ip_cases[i].s, ip_cases[i].n, &ip), 0);
		assert_true(cedar_ip_in_range(&ip, &ip));
		assert_true(cedar_ip_equal(&ip, &ip));
		assert_int_equal(cedar_ip_in_range(&ip, &any4), !ip.v6);
		assert_int_equal(cedar_ip_in_range(&ip, &any6), ip.v6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ip_parse_matches_reference),
	    cmocka_unit_test(ip_range_and_equality_match_reference),
	    cmocka_unit_test(decimal_parse_matches_reference),
	    cmocka_unit_test(datetime_parse_matches_reference),
	    cmocka_unit_test(duration_parse_matches_reference),
	    cmocka_unit_test(duration_units_match_reference),
	    cmocka_unit_test(datetime_to_date_and_time_match_reference),
	    cmocka_unit_test(datetime_offset_and_since_match_reference),
	    cmocka_unit_test(parsers_stop_at_n),
	    cmocka_unit_test(ip_longest_form_is_43_bytes),
	    cmocka_unit_test(ip_format_is_rust_display),
	    cmocka_unit_test(formats_truncate_safely),
	    cmocka_unit_test(decimal_format_has_four_digits),
	    cmocka_unit_test(decimal_format_round_trips),
	    cmocka_unit_test(time_formats_match_reference_messages),
	    cmocka_unit_test(ip_in_range_is_reflexive_and_family_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
