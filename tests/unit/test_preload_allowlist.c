/* The LD_PRELOAD shim's allow-list parsers and matchers (preload/
 * allowlist.c) and the derive-allowlist line parser: accept and reject
 * tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "allowlist.h"
#include "derive.h"

static struct preload_paths paths;
static struct preload_nets nets;

static void exec_list_accepts(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} ok[] = {
	    {"", 0},
	    {"/", 1},
	    {"/bin/sh", 1},
	    {"/bin/sh:/usr/bin/python3", 2},
	    {"/a b/c:/x..y/.z", 2},
	};
	char err[PRELOAD_ERR_MAX];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
		    preload_parse_exec_list(ok[i].s, &paths, err, sizeof(err)),
		    0);
		assert_int_equal(paths.n, ok[i].n);
	}
	assert_int_equal(preload_parse_exec_list("/bin/sh:/usr/bin/env", &paths,
	                                         err, sizeof(err)),
	                 0);
	assert_string_equal(paths.path[0], "/bin/sh");
	assert_string_equal(paths.path[1], "/usr/bin/env");
}

static void exec_list_rejects_naming_the_entry(void **state)
{
	static const struct {
		const char *s, *needle;
	} bad[] = {
	    {"sh", "entry 1 \"sh\" is not absolute"},
	    {"/bin/sh:bin/ls", "entry 2 \"bin/ls\" is not absolute"},
	    {"/bin/sh::/bin/ls", "empty entry (entry 2"},
	    {":/bin/sh", "empty entry (entry 1"},
	    {"/bin/sh:", "empty entry (entry 2"},
	    {"/bin//sh", "empty component"},
	    {"/bin/", "trailing slash"},
	    {"/bin/./sh", ". or .. component"},
	    {"/bin/../sh", ". or .. component"},
	    {"/..", ". or .. component"},
	    {"/bin/\nsh", "\"/bin/?sh\" has a control character"},
	};
	char err[PRELOAD_ERR_MAX];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    preload_parse_exec_list(bad[i].s, &paths, err, sizeof(err)),
		    -1);
		if (strstr(err, bad[i].needle) == NULL)
			fail_msg("%s: %s", bad[i].s, err);
		assert_non_null(strstr(err, "AUTONOMY_PRELOAD_EXEC_ALLOWLIST"));
	}
	/* Bare names are for dlopen only. */
	assert_int_equal(
	    preload_parse_exec_list("libm.so.6", &paths, err, sizeof(err)), -1);
}

static void path_lists_are_bounded(void **state)
{
	char err[PRELOAD_ERR_MAX];
	size_t cap = (PRELOAD_MAX_ENTRIES + 1) * 3 + PRELOAD_MAX_LIST_LEN + 8;
	char *s = malloc(cap), *p;
	int i;
	(void)state;

	assert_non_null(s);
	/* PRELOAD_MAX_ENTRIES entries fit, one more does not. */
	for (p = s, i = 0; i < PRELOAD_MAX_ENTRIES; i++)
		p += sprintf(p, "%s/a", i ? ":" : "");
	assert_int_equal(preload_parse_exec_list(s, &paths, err, sizeof(err)),
	                 0);
	assert_int_equal(paths.n, PRELOAD_MAX_ENTRIES);
	strcpy(p, ":/b");
	assert_int_equal(preload_parse_exec_list(s, &paths, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "more than 256 entries"));
	/* One entry longer than PRELOAD_MAX_PATH. */
	memset(s, 'a', PRELOAD_MAX_PATH + 1);
	s[0] = '/';
	s[PRELOAD_MAX_PATH + 1] = '\0';
	assert_int_equal(preload_parse_exec_list(s, &paths, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "is longer than 4095 bytes"));
	/* The whole value longer than PRELOAD_MAX_LIST_LEN. */
	memset(s, 'a', PRELOAD_MAX_LIST_LEN + 1);
	s[PRELOAD_MAX_LIST_LEN + 1] = '\0';
	assert_int_equal(preload_parse_exec_list(s, &paths, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "longer than 65536 bytes"));
	assert_int_equal(preload_parse_exec_list(NULL, &paths, err, 0), -1);
	free(s);
}

static void exec_matcher_compares_canonical_paths(void **state)
{
	char err[PRELOAD_ERR_MAX], rp[4096];
	(void)state;

	assert_int_equal(preload_parse_exec_list("/bin/sh:/nonexistent/x",
	                                         &paths, err, sizeof(err)),
	                 0);
	assert_true(preload_exec_allowed(&paths, "/bin/sh"));
	assert_false(preload_exec_allowed(&paths, "/bin/s"));
	assert_false(preload_exec_allowed(&paths, "/bin/sh2"));
	assert_false(preload_exec_allowed(&paths, NULL));
	/* After canonicalization the entry matches the file it names (on a
	 * merged-/usr system /bin/sh is /usr/bin/dash), and a missing
	 * entry stays as written. */
	assert_int_equal(preload_paths_canonicalize(&paths, err, sizeof(err)),
	                 0);
	assert_non_null(realpath("/bin/sh", rp));
	assert_true(preload_exec_allowed(&paths, rp));
	assert_true(preload_exec_allowed(&paths, "/nonexistent/x"));
	assert_string_equal(paths.path[0], "/bin/sh");
	assert_int_equal(preload_parse_exec_list("", &paths, err, sizeof(err)),
	                 0);
	assert_false(preload_exec_allowed(&paths, "/bin/sh"));
}

static void dlopen_list_and_matcher(void **state)
{
	char err[PRELOAD_ERR_MAX];
	(void)state;

	assert_int_equal(preload_parse_dlopen_list("libm.so.6:/usr/lib/x.so",
	                                           &paths, err, sizeof(err)),
	                 0);
	assert_true(preload_dlopen_allowed(&paths, NULL));
	assert_true(preload_dlopen_allowed(&paths, "libm.so.6"));
	assert_true(preload_dlopen_allowed(&paths, "/usr/lib/x.so"));
	assert_false(preload_dlopen_allowed(&paths, "libm.so"));
	assert_false(preload_dlopen_allowed(&paths, "/usr/lib/libm.so.6"));
	assert_int_equal(
	    preload_parse_dlopen_list("./x.so", &paths, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST: entry "
	                            "1 \"./x.so\" is not absolute"));
	assert_int_equal(
	    preload_parse_dlopen_list("..", &paths, err, sizeof(err)), -1);
	assert_int_equal(
	    preload_parse_dlopen_list("", &paths, err, sizeof(err)), 0);
	assert_true(preload_dlopen_allowed(&paths, NULL));
	assert_false(preload_dlopen_allowed(&paths, "libm.so.6"));
}

static void connect_list_accepts(void **state)
{
	static const struct {
		const char *s;
		int family;
		unsigned prefix;
		int port;
	} ok[] = {
	    {"192.0.2.1:80", AF_INET, 32, 80},
	    {"192.0.2.0/24:443", AF_INET, 24, 443},
	    {"0.0.0.0/0:*", AF_INET, 0, -1},
	    {"10.0.0.1:0", AF_INET, 32, 0},
	    {"10.0.0.1:65535", AF_INET, 32, 65535},
	    {"[2001:db8::1]:443", AF_INET6, 128, 443},
	    {"[2001:db8::/32]:*", AF_INET6, 32, -1},
	    {"[::/0]:53", AF_INET6, 0, 53},
	    /* v4-mapped entries become IPv4 entries. */
	    {"[::ffff:192.0.2.7]:80", AF_INET, 32, 80},
	    {"[::ffff:192.0.2.0/120]:80", AF_INET, 24, 80},
	};
	char err[PRELOAD_ERR_MAX];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (preload_parse_connect_list(ok[i].s, &nets, err,
		                               sizeof(err)) != 0)
			fail_msg("%s: %s", ok[i].s, err);
		assert_int_equal(nets.n, 1);
		assert_int_equal(nets.e[0].family, ok[i].family);
		assert_int_equal(nets.e[0].prefix, ok[i].prefix);
		assert_int_equal(nets.e[0].port, ok[i].port);
	}
	assert_int_equal(
	    preload_parse_connect_list("1.2.3.4:1,[::2]:2,5.6.0.0/16:*", &nets,
	                               err, sizeof(err)),
	    0);
	assert_int_equal(nets.n, 3);
	assert_int_equal(
	    preload_parse_connect_list("", &nets, err, sizeof(err)), 0);
	assert_int_equal(nets.n, 0);
}

static void connect_list_rejects_naming_the_entry(void **state)
{
	static const struct {
		const char *s, *needle;
	} bad[] = {
	    {"example.com:443", "\"example.com:443\" has no valid IPv4 "
	                        "address (host names are not allowed)"},
	    {"[localhost]:80", "host names are not allowed"},
	    {"1.2.3.4", "needs ':port'"},
	    {"1.2.3.4:", "port that is not"},
	    {"1.2.3.4:65536", "port that is not"},
	    {"1.2.3.4:080", "port that is not"},
	    {"1.2.3.4:-1", "port that is not"},
	    {"1.2.3.4:http", "port that is not"},
	    {"1.2.3.4:**", "port that is not"},
	    {"1.2.3.4/33:80", "prefix length that is not 0..32"},
	    {"1.2.3.4/:80", "prefix length"},
	    {"1.2.3.4/08:80", "prefix length"},
	    {"1.2.3.4/24:80", "address bits set beyond the prefix"},
	    {"[::1/129]:80", "prefix length that is not 0..128"},
	    {"[2001:db8::1/32]:80", "address bits set beyond the prefix"},
	    {"::1:80", "more than one ':'"},
	    {"[::1:80", "'[' without ']'"},
	    {"[::1]80", "needs ':port' after ']'"},
	    {"[1.2.3.4]:80", "no valid IPv6 address"},
	    {"01.2.3.4:80", "no valid IPv4 address"},
	    {"1.2.3:80", "no valid IPv4 address"},
	    {"1.2.3.4:80,,5.6.7.8:80", "empty entry (entry 2"},
	    {"1.2.3.4:80,", "empty entry (entry 2"},
	    {"1.2.3.4:80,bad", "entry 2 \"bad\""},
	};
	char err[PRELOAD_ERR_MAX];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (preload_parse_connect_list(bad[i].s, &nets, err,
		                               sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].s);
		if (strstr(err, bad[i].needle) == NULL)
			fail_msg("%s: %s", bad[i].s, err);
	}
}

static int v4(const char *a, int port)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};

	assert_int_equal(inet_pton(AF_INET, a, &in.sin_addr), 1);
	return preload_connect_allowed(&nets, (struct sockaddr *)&in,
	                               sizeof(in));
}

static int v6(const char *a, int port)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
	                           .sin6_port = htons((uint16_t)port)};

	assert_int_equal(inet_pton(AF_INET6, a, &in6.sin6_addr), 1);
	return preload_connect_allowed(&nets, (struct sockaddr *)&in6,
	                               sizeof(in6));
}

static void connect_matcher(void **state)
{
	char err[PRELOAD_ERR_MAX];
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr sa = {.sa_family = AF_UNSPEC};
	struct sockaddr nl = {.sa_family = AF_NETLINK};
	struct sockaddr_in in = {.sin_family = AF_INET};
	(void)state;

	assert_int_equal(
	    preload_parse_connect_list("192.0.2.0/24:80,198.51.100.7:*,"
	                               "[2001:db8::/32]:443",
	                               &nets, err, sizeof(err)),
	    0);
	assert_true(v4("192.0.2.1", 80));
	assert_true(v4("192.0.2.255", 80));
	assert_false(v4("192.0.2.1", 81));
	assert_false(v4("192.0.3.1", 80));
	assert_true(v4("198.51.100.7", 1));
	assert_true(v4("198.51.100.7", 65535));
	assert_false(v4("198.51.100.8", 1));
	assert_true(v6("2001:db8:ffff::1", 443));
	assert_false(v6("2001:db9::1", 443));
	assert_false(v6("2001:db8::1", 80));
	/* v4-mapped addresses are compared as IPv4. */
	assert_true(v6("::ffff:192.0.2.9", 80));
	assert_false(v6("::ffff:192.0.3.9", 80));
	/* Loopback always; other families: AF_UNIX/AF_UNSPEC pass, the
	 * rest are refused; short addresses are refused. */
	assert_true(v4("127.0.0.1", 9));
	assert_true(v4("127.255.1.2", 9));
	assert_true(v6("::1", 9));
	assert_true(v6("::ffff:127.0.0.1", 9));
	assert_false(v6("::2", 9));
	assert_true(
	    preload_connect_allowed(&nets, (struct sockaddr *)&un, sizeof(un)));
	assert_true(preload_connect_allowed(&nets, &sa, sizeof(sa)));
	assert_false(preload_connect_allowed(&nets, &nl, sizeof(nl)));
	assert_false(preload_connect_allowed(&nets, (struct sockaddr *)&in,
	                                     sizeof(in) - 1));
	assert_false(preload_connect_allowed(&nets, NULL, 0));
	/* An empty list: loopback only. */
	assert_int_equal(
	    preload_parse_connect_list("", &nets, err, sizeof(err)), 0);
	assert_false(v4("192.0.2.1", 80));
	assert_true(v4("127.0.0.1", 80));
	assert_int_equal(preload_parse_connect_list("0.0.0.0/0:*,[::/0]:*",
	                                            &nets, err, sizeof(err)),
	                 0);
	assert_true(v4("8.8.8.8", 53));
	assert_true(v6("2001:4860::8888", 53));
}

static void derive_parses_audit_lines(void **state)
{
	static const struct {
		const char *line, *name;
	} t[] = {
	    {"autonomy-preload-audit: dlopen(filename=\"libm.so.6\", "
	     "flags=0x1, result=loaded)\n",
	     "libm.so.6"},
	    {"[w] autonomy-preload-audit: dlopen(filename=\"/a/\\\"q\\\\"
	     "\\x7f.so\", flags=0x102, result=loaded)",
	     "/a/\"q\\\x7f.so"},
	    {"autonomy-preload-audit: dlopen(filename=\"x\", flags=0x1, "
	     "result=load_failed)",
	     NULL},
	    {"autonomy-preload-audit: dlopen(filename=\"x\", flags=0x1, "
	     "result=denied)",
	     NULL},
	    {"autonomy-preload-audit: dlopen(filename=NULL, flags=0x1, "
	     "result=loaded)",
	     NULL},
	    {"autonomy-preload-audit: dlopen(filename=\"x\\x00\", flags=0x1, "
	     "result=loaded)",
	     NULL},
	    {"autonomy-preload-audit: dlopen(filename=\"x\\q\", flags=0x1, "
	     "result=loaded)",
	     NULL},
	    {"autonomy-preload-audit: dlopen(filename=\"x", NULL},
	    {"some other line", NULL},
	};
	size_t i;
	char *n;
	(void)state;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = preload_derive_parse_line(t[i].line);
		if (t[i].name == NULL) {
			if (n != NULL)
				fail_msg("%s: got %s", t[i].line, n);
		} else {
			assert_non_null(n);
			assert_string_equal(n, t[i].name);
		}
		free(n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exec_list_accepts),
	    cmocka_unit_test(exec_list_rejects_naming_the_entry),
	    cmocka_unit_test(path_lists_are_bounded),
	    cmocka_unit_test(exec_matcher_compares_canonical_paths),
	    cmocka_unit_test(dlopen_list_and_matcher),
	    cmocka_unit_test(connect_list_accepts),
	    cmocka_unit_test(connect_list_rejects_naming_the_entry),
	    cmocka_unit_test(connect_matcher),
	    cmocka_unit_test(derive_parses_audit_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
