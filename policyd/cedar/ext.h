/*
 * Cedar extension types: ipaddr, decimal, datetime, duration.
 *
 * Semantics follow cedar-wasm 4.5.0 (the Rust cedar-policy-core 4.5
 * extensions) exactly, including its quirks; tests/unit/test_cedar_ext.c
 * lists every corner that was checked against it. Parsers take a byte
 * range (not NUL-terminated; a NUL byte is just an invalid character) and
 * never allocate. Every int64 operation is overflow-checked.
 */
#ifndef CEDAR_EXT_H
#define CEDAR_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ip(): an IPv4 or IPv6 address with a prefix length (CIDR). A plain
 * address has prefix 32 (v4) or 128 (v6). v4 is stored in addr[0..3].
 * The address is kept as written: "10.1.2.3/8" is not masked to 10.0.0.0,
 * and equality compares address and prefix, as the reference does. */
struct cedar_ipaddr {
	bool v6;
	uint8_t prefix;
	uint8_t addr[16];
};
/* 0 ok, -1 invalid */
int cedar_ip_parse(const char *s, size_t n, struct cedar_ipaddr *out);
bool cedar_ip_equal(const struct cedar_ipaddr *a, const struct cedar_ipaddr *b);
bool cedar_ip_is_ipv4(const struct cedar_ipaddr *a);
bool cedar_ip_is_ipv6(const struct cedar_ipaddr *a);
/* 127.0.0.0/8 or ::1/128, and the prefix at least that long */
bool cedar_ip_is_loopback(const struct cedar_ipaddr *a);
/* 224.0.0.0/4 or ff00::/8, and the prefix at least that long */
bool cedar_ip_is_multicast(const struct cedar_ipaddr *a);
/* a's whole range inside range's; false between v4 and v6 */
bool cedar_ip_in_range(const struct cedar_ipaddr *a,
                       const struct cedar_ipaddr *range);
/* Canonical text (as the reference prints it, for messages); returns
 * length. Rust's "{addr}/{prefix}": "10.0.0.1/32", "::1/128",
 * "fe80::1:0:0:1/64", and v4-mapped v6 as "::ffff:1.2.3.4/128" (which ip()
 * itself rejects). Like snprintf: returns the full length, writes at most
 * len-1 bytes and a NUL when len > 0. CEDAR_IP_FMT_MAX is always enough. */
#define CEDAR_IP_FMT_MAX 48
size_t cedar_ip_format(const struct cedar_ipaddr *a, char *buf, size_t len);

/* decimal(): fixed point, value * 10^4 in an int64. */
/* 0 ok, -1 invalid/overflow */
int cedar_decimal_parse(const char *s, size_t n, int64_t *out);
/* "-12.0500": sign, integer part, always four fraction digits. snprintf
 * contract as above; CEDAR_DECIMAL_FMT_MAX is always enough. */
#define CEDAR_DECIMAL_FMT_MAX 24
size_t cedar_decimal_format(int64_t v, char *buf, size_t len);

/* datetime(): milliseconds since the Unix epoch (UTC).
 * duration(): milliseconds. */
/* 0 ok, -1 invalid/overflow */
int cedar_datetime_parse(const char *s, size_t n, int64_t *ms);
/* 0 ok, -1 invalid/overflow */
int cedar_duration_parse(const char *s, size_t n, int64_t *ms);
/* -1 on overflow */
int cedar_datetime_offset(int64_t dt, int64_t dur, int64_t *out);
/* dt - other as duration; -1 on overflow */
int cedar_datetime_since(int64_t dt, int64_t other, int64_t *out);
/* midnight UTC of dt's day (floor, also for negative dt); -1 on overflow */
int cedar_datetime_to_date(int64_t dt, int64_t *out);
/* duration since that midnight, always >= 0 */
int64_t cedar_datetime_to_time(int64_t dt);
enum cedar_dur_unit { CEDAR_MS, CEDAR_S, CEDAR_MIN, CEDAR_H, CEDAR_D };
/* truncates toward zero as the reference does; 0 for an unknown unit */
int64_t cedar_duration_to(int64_t ms, enum cedar_dur_unit u);
/* The reference prints every datetime value, however it was built, as
 * (datetime("1970-01-01")).offset(duration("<ms>ms")), and a duration in
 * its messages as "<ms>ms" (inside an expression: duration("<ms>ms")).
 * snprintf contract as above; CEDAR_TIME_FMT_MAX is always enough. */
#define CEDAR_TIME_FMT_MAX 72
size_t cedar_datetime_format(int64_t ms, char *buf, size_t len);
size_t cedar_duration_format(int64_t ms, char *buf, size_t len);

#endif
