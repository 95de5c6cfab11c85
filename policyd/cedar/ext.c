/*
 * Cedar extension types, as cedar-wasm 4.5.0 implements them.
 *
 * The reference is Rust (std::net parsers, regexes, chrono); each parser
 * here is written to accept exactly the same strings and compute the same
 * value. Where the reference has a quirk, the code keeps it and says so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ext.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* snprintf's int result as the size_t the API promises */
static size_t fmt_len(int r)
{
	return r < 0 ? 0 : (size_t)r;
}

/* ---- ipaddr ---- */

/* The reference refuses any string longer than the longest IPv6 CIDR
 * (no valid one is longer; this bounds the work on hostile input). */
#define IP_STR_MAX 43

/* Rust's Ipv4Addr parser: four decimal octets of 1-3 digits, no leading
 * zero ("01" is refused, "0" is not), each at most 255. */
static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		if (k > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < n && is_digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		size_t digits = i - start;
		if (digits == 0 || (i < n && is_digit(s[i])))
			return -1;
		if (digits > 1 && s[start] == '0')
			return -1;
		if (v > 255)
			return -1;
		out[k] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

/* One IPv6 group of 1-4 hex digits at s[*i], preceded by ':' unless
 * first. Like Rust's read_separator/read_number it consumes nothing when
 * it fails, so the caller can go on to look for "::". */
static bool read_v6_group(const char *s, size_t n, size_t *i, bool first,
                          uint16_t *g)
{
	size_t j = *i;

	if (!first) {
		if (j >= n || s[j] != ':')
			return false;
		j++;
	}
	size_t start = j;
	unsigned v = 0;
	while (j < n && hex_value(s[j]) >= 0) {
		if (j - start == 4)
			return false; /* a fifth digit: not a group */
		v = v * 16 + (unsigned)hex_value(s[j]);
		j++;
	}
	if (j == start)
		return false;
	*g = (uint16_t)v;
	*i = j;
	return true;
}

/* Rust's Ipv6Addr parser: up to 8 groups; otherwise a head, "::" standing
 * for at least one zero group, and a tail. Rust would also read embedded
 * IPv4 ("::ffff:1.2.3.4"), but the reference refuses every string with two
 * colons and two dots first, which leaves no v6 form with a dot at all. */
static int parse_v6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t head[8], tail[7];
	size_t i = 0, nhead = 0, ntail = 0;

	while (nhead < 8 && read_v6_group(s, n, &i, nhead == 0, &head[nhead]))
		nhead++;
	if (nhead < 8) {
		if (n - i < 2 || s[i] != ':' || s[i + 1] != ':')
			return -1;
		i += 2;
		size_t limit = 7 - nhead;
		while (ntail < limit &&
		       read_v6_group(s, n, &i, ntail == 0, &tail[ntail]))
			ntail++;
		for (size_t k = nhead; k < 8 - ntail; k++)
			head[k] = 0;
		for (size_t k = 0; k < ntail; k++)
			head[8 - ntail + k] = tail[k];
	}
	if (i != n)
		return -1;
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (uint8_t)(head[k] >> 8);
		out[2 * k + 1] = (uint8_t)head[k];
	}
	return 0;
}

/* Rust's IpAddr parser: IPv4 first, then IPv6. */
static int parse_addr(const char *s, size_t n, struct cedar_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_v4(s, n, out->addr) == 0) {
		out->prefix = 32;
		return 0;
	}
	if (parse_v6(s, n, out->addr) == 0) {
		out->v6 = true;
		out->prefix = 128;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

/* The prefix after '/': digits only, no leading zero, at most 2 (v4) or
 * 3 (v6) characters, at most 32 or 128. */
static int parse_prefix(const char *s, size_t n, bool v6, uint8_t *out)
{
	size_t max_len = v6 ? 3 : 2;
	unsigned max = v6 ? 128 : 32, v = 0;

	if (n == 0 || n > max_len)
		return -1;
	if (s[0] == '0' && n > 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

int cedar_ip_parse(const char *s, size_t n, struct cedar_ipaddr *out)
{
	struct cedar_ipaddr ip;
	const char *slash;

	if (s == NULL || n > IP_STR_MAX)
		return -1;
	slash = n > 0 ? memchr(s, '/', n) : NULL;
	if (slash == NULL) {
		if (parse_addr(s, n, &ip) != 0)
			return -1;
	} else {
		size_t alen = (size_t)(slash - s);
		if (parse_addr(s, alen, &ip) != 0)
			return -1;
		if (parse_prefix(slash + 1, n - alen - 1, ip.v6, &ip.prefix) !=
		    0)
			return -1;
	}
	*out = ip;
	return 0;
}

static size_t ip_len(const struct cedar_ipaddr *a)
{
	return a->v6 ? 16 : 4;
}

bool cedar_ip_equal(const struct cedar_ipaddr *a, const struct cedar_ipaddr *b)
{
	return a->v6 == b->v6 && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, ip_len(a)) == 0;
}

bool cedar_ip_is_ipv4(const struct cedar_ipaddr *a)
{
	return !a->v6;
}

bool cedar_ip_is_ipv6(const struct cedar_ipaddr *a)
{
	return a->v6;
}

/* 127.0.0.0/8 and ::1/128: the address must be loopback and the prefix at
 * least as long as the loopback net's, so "127.0.0.1/7" is not loopback
 * and "::1/127" is not either. */
bool cedar_ip_is_loopback(const struct cedar_ipaddr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (!a->v6)
		return a->addr[0] == 127 && a->prefix >= 8;
	return memcmp(a->addr, v6_loopback, 16) == 0 && a->prefix >= 128;
}

/* 224.0.0.0/4 and ff00::/8, with the same prefix rule as loopback. */
bool cedar_ip_is_multicast(const struct cedar_ipaddr *a)
{
	if (!a->v6)
		return (a->addr[0] & 0xf0) == 0xe0 && a->prefix >= 4;
	return a->addr[0] == 0xff && a->prefix >= 8;
}

/* first (network) and last (broadcast) address of a's range */
static void ip_bounds(const struct cedar_ipaddr *a, uint8_t lo[16],
                      uint8_t hi[16])
{
	size_t len = ip_len(a);

	for (size_t k = 0; k < len; k++) {
		size_t bit = 8 * k;
		uint8_t mask;
		if (a->prefix >= bit + 8)
			mask = 0xff;
		else if (a->prefix <= bit)
			mask = 0;
		else
			mask = (uint8_t)(0xff << (8 - (a->prefix - bit)));
		lo[k] = a->addr[k] & mask;
		hi[k] = a->addr[k] | (uint8_t)~mask;
	}
}

/* a's whole range lies inside range's; v4 and v6 never mix */
bool cedar_ip_in_range(const struct cedar_ipaddr *a,
                       const struct cedar_ipaddr *range)
{
	uint8_t alo[16], ahi[16], rlo[16], rhi[16];

	if (a->v6 != range->v6)
		return false;
	ip_bounds(a, alo, ahi);
	ip_bounds(range, rlo, rhi);
	return memcmp(rlo, alo, ip_len(a)) <= 0 &&
	       memcmp(ahi, rhi, ip_len(a)) <= 0;
}

/* Rust's Ipv6Addr Display: v4-mapped as "::ffff:a.b.c.d", else lowercase
 * groups with the first longest run of two or more zero groups as "::". */
static size_t format_v6(const uint8_t addr[16], char *buf, size_t len)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	uint16_t g[8];
	size_t run_start = 0, run_len = 0, cur_start = 0, cur_len = 0, off = 0;
	char tmp[CEDAR_IP_FMT_MAX];

	if (memcmp(addr, mapped, 12) == 0)
		return fmt_len(snprintf(buf, len, "::ffff:%u.%u.%u.%u",
		                        addr[12], addr[13], addr[14],
		                        addr[15]));
	for (int k = 0; k < 8; k++) {
		g[k] = (uint16_t)(addr[2 * k] << 8 | addr[2 * k + 1]);
		if (g[k] == 0) {
			if (cur_len == 0)
				cur_start = (size_t)k;
			cur_len++;
			if (cur_len > run_len) {
				run_start = cur_start;
				run_len = cur_len;
			}
		} else {
			cur_len = 0;
		}
	}
	if (run_len < 2) {
		run_start = 8; /* nothing to compress */
		run_len = 0;
	}
	for (size_t k = 0; k < 8; k++) {
		if (k == run_start) {
			off += fmt_len(
			    snprintf(tmp + off, sizeof(tmp) - off, "::"));
			k += run_len - 1;
			continue;
		}
		bool sep = k > 0 && k != run_start + run_len;
		off += fmt_len(snprintf(tmp + off, sizeof(tmp) - off, "%s%x",
		                        sep ? ":" : "", g[k]));
	}
	return fmt_len(snprintf(buf, len, "%s", tmp));
}

size_t cedar_ip_format(const struct cedar_ipaddr *a, char *buf, size_t len)
{
	char addr[CEDAR_IP_FMT_MAX];

	if (a->v6)
		format_v6(a->addr, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a->addr[0],
		         a->addr[1], a->addr[2], a->addr[3]);
	return fmt_len(snprintf(buf, len, "%s/%u", addr, a->prefix));
}

/* ---- decimal ---- */

#define DECIMAL_DIGITS 4
#define DECIMAL_SCALE 10000

/* Accumulate ASCII digits s[0..n) into *v with overflow checks. */
static int digits_to_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < n; i++) {
		if (__builtin_mul_overflow(r, 10, &r) ||
		    __builtin_add_overflow(r, (uint64_t)(s[i] - '0'), &r))
			return -1;
	}
	*v = r;
	return 0;
}

/* -?[0-9]+\.[0-9]{1,4}, value * 10^4 within int64.
 * Quirk kept from the reference: the sign is taken from the integer part
 * after it is parsed, so "-0.5" is +0.5 (the integer part -0 is not
 * negative). No string parses to a value in (-1, 0). */
int cedar_decimal_parse(const char *s, size_t n, int64_t *out)
{
	size_t i = 0, int_start, int_end, frac_start;
	uint64_t mag, frac;
	int64_t l, r, v;

	if (s == NULL)
		return -1;
	bool neg = n > 0 && s[0] == '-';
	if (neg)
		i++;
	int_start = i;
	while (i < n && is_digit(s[i]))
		i++;
	int_end = i;
	if (int_end == int_start || i >= n || s[i] != '.')
		return -1;
	frac_start = ++i;
	while (i < n && is_digit(s[i]))
		i++;
	if (i != n || i == frac_start || i - frac_start > DECIMAL_DIGITS)
		return -1;

	/* the integer part must fit an int64 before scaling
	 * ("-9223372036854775808" does) */
	if (digits_to_u64(s + int_start, int_end - int_start, &mag) != 0)
		return -1;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -1;
		l = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return -1;
		l = (int64_t)mag;
	}
	if (__builtin_mul_overflow(l, (int64_t)DECIMAL_SCALE, &l))
		return -1;

	if (digits_to_u64(s + frac_start, i - frac_start, &frac) != 0)
		return -1;
	r = (int64_t)frac;
	for (size_t k = i - frac_start; k < DECIMAL_DIGITS; k++)
		r *= 10; /* at most 9 * 10^3: no overflow */

	if (l >= 0 ? __builtin_add_overflow(l, r, &v)
	           : __builtin_sub_overflow(l, r, &v))
		return -1;
	*out = v;
	return 0;
}

size_t cedar_decimal_format(int64_t v, char *buf, size_t len)
{
	/* magnitude in uint64 so INT64_MIN needs no special case */
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	return fmt_len(snprintf(buf, len, "%s%" PRIu64 ".%04" PRIu64,
	                        v < 0 ? "-" : "", mag / DECIMAL_SCALE,
	                        mag % DECIMAL_SCALE));
}

/* ---- datetime and duration ---- */

#define MS_PER_SEC INT64_C(1000)
#define MS_PER_MIN (60 * MS_PER_SEC)
#define MS_PER_HOUR (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_HOUR)

/* n ASCII digits at s, all checked by the caller */
static int digits_value(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil); years 0..9999 only. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* YYYY-MM-DD, optionally Thh:mm:ss, then .SSS optionally, then Z or
 * +hhmm/-hhmm. Exact digit counts, uppercase T and Z only, no leap
 * second; the offset is at most 23:59 either way. Year 0000 is valid (and
 * a leap year). Years are 4 digits, so the result cannot overflow. */
int cedar_datetime_parse(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, milli = 0, off_min = 0;
	size_t i;

	if (s == NULL || n < 10 || !all_digits(s, 4) || s[4] != '-' ||
	    !all_digits(s + 5, 2) || s[7] != '-' || !all_digits(s + 8, 2))
		return -1;
	y = digits_value(s, 4);
	mo = digits_value(s + 5, 2);
	d = digits_value(s + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;

	if (n > 10) {
		if (n < 19 || s[10] != 'T' || !all_digits(s + 11, 2) ||
		    s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
		    !all_digits(s + 17, 2))
			return -1;
		h = digits_value(s + 11, 2);
		mi = digits_value(s + 14, 2);
		sec = digits_value(s + 17, 2);
		i = 19;
		if (i < n && s[i] == '.') {
			if (n - i < 4 || !all_digits(s + i + 1, 3))
				return -1;
			milli = digits_value(s + i + 1, 3);
			i += 4;
		}
		if (n - i == 1 && s[i] == 'Z') {
			i++;
		} else if (n - i == 5 && (s[i] == '+' || s[i] == '-') &&
		           all_digits(s + i + 1, 4)) {
			int oh = digits_value(s + i + 1, 2);
			int om = digits_value(s + i + 3, 2);
			if (oh >= 24 || om >= 60)
				return -1;
			off_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
		} else {
			return -1;
		}
		if (h >= 24 || mi >= 60 || sec >= 60)
			return -1;
	}

	/* |result| < 2^49: plain arithmetic cannot overflow here */
	*ms = days_from_civil(y, mo, d) * MS_PER_DAY + h * MS_PER_HOUR +
	      mi * MS_PER_MIN + sec * MS_PER_SEC + milli - off_min * MS_PER_MIN;
	return 0;
}

/* -?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)? with at least one
 * part: units in this order, each at most once, no spaces, no '+'. The
 * total must fit an int64 (so "-9223372036854775808ms" is valid). */
int cedar_duration_parse(const char *s, size_t n, int64_t *ms)
{
	static const struct {
		const char *name;
		uint64_t mul;
	} units[] = {{"d", (uint64_t)MS_PER_DAY},
	             {"h", (uint64_t)MS_PER_HOUR},
	             {"m", (uint64_t)MS_PER_MIN},
	             {"s", (uint64_t)MS_PER_SEC},
	             {"ms", 1}};
	size_t i = 0, next_unit = 0, parts = 0;
	uint64_t total = 0, limit;

	if (s == NULL)
		return -1;
	bool neg = n > 0 && s[0] == '-';
	if (neg)
		i++;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while (i < n) {
		size_t start = i, u;
		uint64_t v, term;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == start || i == n)
			return -1;
		size_t dlen = i - start;
		/* "ms" before "m": "1ms" is never one minute and a stray 's' */
		size_t ulen =
		    s[i] == 'm' && i + 1 < n && s[i + 1] == 's' ? 2 : 1;
		for (u = next_unit; u < sizeof(units) / sizeof(units[0]); u++)
			if (strlen(units[u].name) == ulen &&
			    memcmp(units[u].name, s + i, ulen) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1; /* unknown unit, or out of order */
		next_unit = u + 1;
		i += ulen;
		parts++;
		/* the reference reads each number as a u64 first */
		if (digits_to_u64(s + start, dlen, &v) != 0 ||
		    __builtin_mul_overflow(v, units[u].mul, &term) ||
		    __builtin_add_overflow(total, term, &total) ||
		    total > limit)
			return -1;
	}
	if (parts == 0)
		return -1;
	if (neg)
		*ms = total == (uint64_t)INT64_MAX + 1 ? INT64_MIN
		                                       : -(int64_t)total;
	else
		*ms = (int64_t)total;
	return 0;
}

/* The outputs below are written only on success: __builtin_*_overflow
 * stores the wrapped value, which must not escape. */
int cedar_datetime_offset(int64_t dt, int64_t dur, int64_t *out)
{
	int64_t v;

	if (__builtin_add_overflow(dt, dur, &v))
		return -1;
	*out = v;
	return 0;
}

int cedar_datetime_since(int64_t dt, int64_t other, int64_t *out)
{
	int64_t v;

	if (__builtin_sub_overflow(dt, other, &v))
		return -1;
	*out = v;
	return 0;
}

/* floor to the day: dt minus its Euclidean remainder, which overflows for
 * the datetimes before the first whole day after INT64_MIN */
int cedar_datetime_to_date(int64_t dt, int64_t *out)
{
	int64_t v;

	if (__builtin_sub_overflow(dt, cedar_datetime_to_time(dt), &v))
		return -1;
	*out = v;
	return 0;
}

int64_t cedar_datetime_to_time(int64_t dt)
{
	int64_t rem = dt % MS_PER_DAY;

	return rem < 0 ? rem + MS_PER_DAY : rem;
}

/* Each unit is the previous one divided and truncated toward zero, as the
 * reference chains toSeconds/toMinutes/toHours/toDays. */
int64_t cedar_duration_to(int64_t ms, enum cedar_dur_unit u)
{
	static const int64_t step[] = {1, 1000, 60, 60, 24};
	int64_t v = ms;

	if ((unsigned)u > CEDAR_D)
		return 0;
	for (unsigned k = 1; k <= (unsigned)u; k++)
		v /= step[k];
	return v;
}

size_t cedar_datetime_format(int64_t ms, char *buf, size_t len)
{
	return fmt_len(snprintf(
	    buf, len,
	    "(datetime(\"1970-01-01\")).offset(duration(\"%" PRId64 "ms\"))",
	    ms));
}

size_t cedar_duration_format(int64_t ms, char *buf, size_t len)
{
	return fmt_len(snprintf(buf, len, "%" PRId64 "ms", ms));
}
