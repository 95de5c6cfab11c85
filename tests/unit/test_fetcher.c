/* tool.http_get's parsers and its runtime layer: the URL parser
 * (common/url.c), request header checks, allowed-domain entries and
 * matching, the address classes, and the hosts(5) parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "resolve.h"
#include "rules.h"
#include "url.h"

static void canon(const char *in, const char *want)
{
	struct url u;
	char err[URL_ERR_MAX];

	if (url_parse(in, &u, err, sizeof(err)) != 0)
		fail_msg("%s: %s", in, err);
	assert_string_equal(u.canonical, want);
	/* the canonical form is a fixed point */
	if (url_parse(want, &u, err, sizeof(err)) != 0)
		fail_msg("%s: %s", want, err);
	assert_string_equal(u.canonical, want);
}

static void refused(const char *in, const char *needle)
{
	struct url u;
	char err[URL_ERR_MAX] = "";

	if (url_parse(in, &u, err, sizeof(err)) == 0)
		fail_msg("%s: accepted as %s", in, u.canonical);
	if (strstr(err, needle) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", in, err, needle);
}

static void url_canonical_forms(void **state)
{
	struct url u;
	char err[URL_ERR_MAX];
	(void)state;

	canon("http://Example.COM", "http://example.com/");
	canon("HTTPS://example.com:443/a?b=c#frag",
	      "https://example.com/a?b=c");
	canon("http://example.com:8080/a/./b/../c",
	      "http://example.com:8080/a/c");
	canon("http://example.com/../../x", "http://example.com/x");
	canon("http://example.com/a/..", "http://example.com/");
	canon("http://example.com/a/.", "http://example.com/a/");
	canon("http://example.com./p", "http://example.com/p");
	canon("http://127.0.0.1:8080", "http://127.0.0.1:8080/");
	canon("http://[::FFFF:127.0.0.1]:81/", "http://[::ffff:127.0.0.1]:81/");
	canon("http://[0:0::1]/", "http://[::1]/");
	canon("http://example.com?q=%20", "http://example.com/?q=%20");
	canon("https://xn--bcher-kva.example/",
	      "https://xn--bcher-kva.example/");
	assert_int_equal(
	    url_parse("http://10.0.0.1:99/p?q", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "10.0.0.1");
	assert_int_equal(u.host_kind, URL_HOST_IPV4);
	assert_int_equal(u.port, 99);
	assert_string_equal(url_path(&u), "/p?q");
	assert_string_equal(u.scheme, "http");
}

static void url_refusals(void **state)
{
	(void)state;
	refused("ftp://example.com/", "only http");
	refused("file:///etc/passwd", "only http");
	refused("gopher://x/", "only http");
	refused("http://user:pw@example.com/", "user info");
	refused("http://example.com@evil.com/", "user info");
	refused("http://127.1/", "dotted quad");
	refused("http://0x7f.0.0.1/", "dotted quad");
	refused("http://2130706433/", "dotted quad");
	refused("http://0177.0.0.1/", "dotted quad");
	refused("http://1.2.3.256/", "dotted quad");
	refused("http://a.b.1/", "dotted quad");
	refused("http://%31%32%37.0.0.1/", "percent");
	refused("http://exa_mple.com/", "only a-z");
	refused("http://ex..ample.com/", "label");
	refused("http://-x.com/", "label");
	refused("http://[::1%25eth0]/", "zone");
	refused("http://[::1/", "[addr]");
	refused("http://[zz::1]/", "IPv6");
	refused("http://example.com:0/", "port");
	refused("http://example.com:65536/", "port");
	refused("http://example.com:080/", "port");
	refused("http://example.com:/", "port");
	refused("http://example.com:8a/", "port");
	refused("http:///path", "empty");
	refused("http://exa mple.com/", "printable");
	refused("http://example.com/a\\b", "'\\'");
	refused("http://example.com/%zz", "%XX");
	refused("http://example.com/%4", "%XX");
	refused("http://ex\xc3\xa9.com/", "printable");
	refused("", "empty");
}

static void url_long(void **state)
{
	static char big[URL_MAX + 64];
	(void)state;

	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "http://x.com/", 13);
	refused(big, "longer");
}

static void headers(void **state)
{
	char err[256];
	(void)state;

	assert_int_equal(http_header_check("Accept", "text/html", err, 256), 0);
	assert_int_equal(http_header_check("X-Token", "a\tb", err, 256), 0);
	assert_int_equal(http_header_check("Host", "evil", err, 256), -1);
	assert_int_equal(
	    http_header_check("proxy-authorization", "x", err, 256), -1);
	assert_int_equal(http_header_check("Transfer-Encoding", "x", err, 256),
	                 -1);
	assert_int_equal(http_header_check("X-A", "a\r\nHost: b", err, 256),
	                 -1);
	assert_int_equal(http_header_check("X A", "a", err, 256), -1);
	assert_int_equal(http_header_check("", "a", err, 256), -1);
	assert_true(http_header_is_credential("Authorization"));
	assert_true(http_header_is_credential("cookie"));
	assert_false(http_header_is_credential("Accept"));
}

static struct rules rs;

static void rules_entries(void **state)
{
	char err[256];
	(void)state;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(rules_add(&rs, "api.example.com", err, 256), 0);
	assert_int_equal(rules_add(&rs, "*.example.org:8443", err, 256), 0);
	assert_int_equal(rules_add(&rs, "127.0.0.1:8080", err, 256), 0);
	assert_int_equal(rules_add(&rs, "localhost", err, 256), 0);
	assert_int_equal(rules_add(&rs, "*.svc.test", err, 256), 0);
	assert_int_equal(rules_add(&rs, "10.200.0.7:80", err, 256), 0);
	assert_int_equal(rules_add(&rs, "api.example.com", err, 256), 0);
	assert_int_equal(rs.n, 6);
	/* the manifest's grammar */
	assert_int_equal(rules_add(&rs, "*.com", err, 256), -1);
	assert_int_equal(rules_add(&rs, "Example.com", err, 256), -1);
	assert_int_equal(rules_add(&rs, "a.*.com", err, 256), -1);
	assert_int_equal(rules_add(&rs, "x.com:0", err, 256), -1);
	assert_int_equal(rules_add(&rs, "x.com:65536", err, 256), -1);
	assert_int_equal(rules_add(&rs, "-x.com", err, 256), -1);
	assert_int_equal(rules_add(&rs, "", err, 256), -1);
	assert_int_equal(rules_add(&rs, "[::1]:80", err, 256), -1);
}

static void rules_matching(void **state)
{
	const struct rule *m;
	(void)state;

	m = rules_match(&rs, "api.example.com", 0, 443);
	assert_non_null(m);
	assert_string_equal(m->text, "api.example.com");
	assert_null(rules_match(&rs, "example.com", 0, 443));
	assert_null(rules_match(&rs, "x.api.example.com", 0, 443));
	m = rules_match(&rs, "a.b.example.org", 0, 8443);
	assert_non_null(m);
	assert_true(m->wildcard);
	assert_null(rules_match(&rs, "a.example.org", 0, 443));
	assert_null(rules_match(&rs, "example.org", 0, 8443));
	assert_null(rules_match(&rs, "badexample.org", 0, 8443));
	assert_non_null(rules_match(&rs, "127.0.0.1", 1, 8080));
	assert_null(rules_match(&rs, "127.0.0.1", 1, 8081));
	assert_non_null(rules_match(&rs, "localhost", 0, 1));
}

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET6;
	inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	return ss;
}

static void address_classes(void **state)
{
	static const char *const special4[] = {
	    "0.0.0.0",         "127.0.0.1",      "127.255.0.9", "10.1.2.3",
	    "172.16.0.1",      "172.31.255.255", "192.168.1.1", "100.64.0.1",
	    "169.254.169.254", "224.0.0.1",      "239.1.1.1",   "240.0.0.1",
	    "255.255.255.255", "198.18.0.1",     "192.0.0.8"};
	static const char *const public4[] = {"8.8.8.8", "172.32.0.1",
	                                      "93.184.216.34", "100.128.0.1",
	                                      "11.0.0.1"};
	static const char *const special6[] = {"::",
	                                       "::1",
	                                       "::ffff:127.0.0.1",
	                                       "::ffff:10.0.0.1",
	                                       "fe80::1",
	                                       "fc00::1",
	                                       "fd12:3456::1",
	                                       "ff02::1",
	                                       "fec0::1",
	                                       "64:ff9b::a00:1",
	                                       "2002:7f00:1::",
	                                       "2001:0:1::1",
	                                       "::127.0.0.1"};
	static const char *const public6[] = {
	    "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"};
	struct sockaddr_storage ss;
	(void)state;

	for (size_t i = 0; i < sizeof(special4) / sizeof(*special4); i++) {
		ss = v4(special4[i]);
		if (addr_special((struct sockaddr *)&ss) == NULL)
			fail_msg("%s: not special", special4[i]);
	}
	for (size_t i = 0; i < sizeof(public4) / sizeof(*public4); i++) {
		ss = v4(public4[i]);
		if (addr_special((struct sockaddr *)&ss) != NULL)
			fail_msg("%s: special", public4[i]);
	}
	for (size_t i = 0; i < sizeof(special6) / sizeof(*special6); i++) {
		ss = v6(special6[i]);
		if (addr_special((struct sockaddr *)&ss) == NULL)
			fail_msg("%s: not special", special6[i]);
	}
	for (size_t i = 0; i < sizeof(public6) / sizeof(*public6); i++) {
		ss = v6(public6[i]);
		if (addr_special((struct sockaddr *)&ss) != NULL)
			fail_msg("%s: special", public6[i]);
	}
}

static void address_exemptions(void **state)
{
	struct sockaddr_storage lo = v4("127.0.0.1"), ten = v4("10.200.0.7"),
	                        pub = v4("8.8.8.8"), lo6 = v6("::1");
	const struct rule *exact = rules_match(&rs, "localhost", 0, 80);
	const struct rule *wild = rules_match(&rs, "x.svc.test", 0, 80);
	(void)state;

	/* an exact host: its private addresses are allowed */
	assert_null(rules_addr_refused(&rs, exact, (struct sockaddr *)&lo, 80));
	assert_null(
	    rules_addr_refused(&rs, exact, (struct sockaddr *)&lo6, 80));
	/* a wildcard: refused, unless that address is listed exactly */
	assert_string_equal(
	    rules_addr_refused(&rs, wild, (struct sockaddr *)&lo, 80),
	    "loopback");
	assert_null(rules_addr_refused(&rs, wild, (struct sockaddr *)&ten, 80));
	assert_string_equal(
	    rules_addr_refused(&rs, wild, (struct sockaddr *)&ten, 81),
	    "private");
	assert_null(rules_addr_refused(&rs, wild, (struct sockaddr *)&pub, 80));
}

static void hosts_file(void **state)
{
	static const char text[] =
	    "127.0.0.1 localhost\n"
	    "# comment 1.2.3.4 evil\n"
	    "10.200.0.2\tIntranet.Test intranet  # trailing\n"
	    "::1 localhost ip6-localhost\n"
	    "garbage line here\n"
	    "1.2.3.4\n"
	    "8.8.8.8 dns.test.\r\n";
	struct hosts h;
	struct sockaddr_storage out[4];
	char a[64];
	(void)state;

	assert_int_equal(hosts_parse(text, sizeof(text) - 1, &h), 0);
	assert_int_equal(hosts_lookup(&h, "localhost", out, 4), 2);
	assert_int_equal(out[0].ss_family, AF_INET);
	assert_int_equal(out[1].ss_family, AF_INET6);
	assert_int_equal(hosts_lookup(&h, "intranet.test", out, 4), 1);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&out[0])->sin_addr, a,
	          sizeof(a));
	assert_string_equal(a, "10.200.0.2");
	assert_int_equal(hosts_lookup(&h, "dns.test", out, 4), 1);
	assert_int_equal(hosts_lookup(&h, "evil", out, 4), 0);
	assert_int_equal(hosts_lookup(&h, "here", out, 4), 0);
	hosts_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(url_canonical_forms),
	    cmocka_unit_test(url_refusals),
	    cmocka_unit_test(url_long),
	    cmocka_unit_test(headers),
	    cmocka_unit_test(rules_entries),
	    cmocka_unit_test(rules_matching),
	    cmocka_unit_test(address_classes),
	    cmocka_unit_test(address_exemptions),
	    cmocka_unit_test(hosts_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
