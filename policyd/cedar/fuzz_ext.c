/* libFuzzer target for the Cedar extension types: the input is handed to
 * all four parsers as the string a policy or request could carry, and
 * every value that parses goes through the methods and formatters, with
 * the invariants that must hold between them checked (abort on breach). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"

#define MS_PER_DAY INT64_C(86400000)

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_ip(const char *s, size_t n)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct cedar_ipaddr ip, back;
	char buf[CEDAR_IP_FMT_MAX];
	size_t len;

	if (cedar_ip_parse(s, n, &ip) != 0)
		return;
	check(cedar_ip_is_ipv4(&ip) != cedar_ip_is_ipv6(&ip));
	check(ip.prefix <= (ip.v6 ? 128 : 32));
	check(cedar_ip_equal(&ip, &ip) && cedar_ip_in_range(&ip, &ip));
	if (cedar_ip_is_loopback(&ip))
		check(!cedar_ip_is_multicast(&ip));
	len = cedar_ip_format(&ip, buf, sizeof(buf));
	check(len < sizeof(buf) && strlen(buf) == len);
	/* the printed form reads back, except v4-mapped, which Rust prints
	 * dotted and ip() refuses */
	if (!ip.v6 || memcmp(ip.addr, mapped, sizeof(mapped)) != 0) {
		check(cedar_ip_parse(buf, len, &back) == 0);
		check(cedar_ip_equal(&ip, &back));
	}
}

static void fuzz_decimal(const char *s, size_t n)
{
	char buf[CEDAR_DECIMAL_FMT_MAX];
	int64_t v, back;
	size_t len;

	if (cedar_decimal_parse(s, n, &v) != 0)
		return;
	/* the reference's sign quirk: nothing parses into (-1, 0) */
	check(v >= 0 || v <= -10000);
	len = cedar_decimal_format(v, buf, sizeof(buf));
	check(len < sizeof(buf) && strlen(buf) == len);
	check(cedar_decimal_parse(buf, len, &back) == 0 && back == v);
}

static void fuzz_duration(const char *s, size_t n, int64_t *out)
{
	char buf[CEDAR_TIME_FMT_MAX];
	int64_t v, back;
	size_t len;

	if (cedar_duration_parse(s, n, &v) != 0)
		return;
	*out = v;
	check(cedar_duration_to(v, CEDAR_MS) == v);
	check(cedar_duration_to(v, CEDAR_S) == v / 1000);
	check(cedar_duration_to(v, CEDAR_D) == v / MS_PER_DAY);
	len = cedar_duration_format(v, buf, sizeof(buf));
	check(len < sizeof(buf) && strlen(buf) == len);
	/* "<ms>ms" is itself a duration string */
	check(cedar_duration_parse(buf, len, &back) == 0 && back == v);
}

static void fuzz_datetime(const char *s, size_t n, int64_t dur)
{
	char buf[CEDAR_TIME_FMT_MAX];
	int64_t dt, date, moved, since;
	size_t len;

	if (cedar_datetime_parse(s, n, &dt) != 0)
		return;
	/* 0000-01-01 minus the largest offset .. 9999-12-31 plus it */
	check(dt >= INT64_C(-62167305540000) && dt <= INT64_C(253402387139999));
	check(cedar_datetime_to_date(dt, &date) == 0);
	check(date % MS_PER_DAY == 0 && date <= dt);
	check(date + cedar_datetime_to_time(dt) == dt);
	check(cedar_datetime_to_time(dt) < MS_PER_DAY);
	if (cedar_datetime_offset(dt, dur, &moved) == 0) {
		check(cedar_datetime_since(moved, dt, &since) == 0);
		check(since == dur);
		if (cedar_datetime_to_date(moved, &date) == 0)
			check(date + cedar_datetime_to_time(moved) == moved);
	}
	len = cedar_datetime_format(dt, buf, sizeof(buf));
	check(len < sizeof(buf) && strlen(buf) == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t dur = INT64_MIN; /* any duration, the extreme by default */

	fuzz_ip(s, size);
	fuzz_decimal(s, size);
	fuzz_duration(s, size, &dur);
	fuzz_datetime(s, size, dur);
	/* the two halves of "datetime|duration" together */
	const char *bar = memchr(s, '|', size);
	if (bar != NULL) {
		size_t left = (size_t)(bar - s);
		fuzz_duration(bar + 1, size - left - 1, &dur);
		fuzz_datetime(s, left, dur);
	}
	return 0;
}
