/* `autonomy wal inspect` and `autonomy wal verify`. Both open the WAL
 * read-only (walwriter/wal.c, MDB_RDONLY), so they work while a walwriter
 * is appending; each sees one consistent snapshot. Records were written
 * by other processes from agent-supplied strings, so every string is
 * escaped before it reaches a terminal or a JSON consumer. */
#include "wal_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wal.h"
#include "log.h"

#define EXIT_CORRUPT 1
#define EXIT_NOWAL 2
#define EXIT_USAGE 64

struct wal_cmd_opts {
	const char *dir;
	const char *kind;
	const char *audit_id;
	const char *tool;
	int json;
};

static const char usage_text[] =
    "usage: autonomy wal inspect --dir PATH [--kind K] [--audit-id ID] "
    "[--tool T] [--json]\n"
    "       autonomy wal verify --dir PATH\n";

#define usage_error(...) usage_errorf("autonomy wal", usage_text, __VA_ARGS__)

/* Parses "--flag VALUE" / "--flag=VALUE" and "--json". inspect takes the
 * filters, verify only --dir. 0 or EXIT_USAGE. */
static int parse_flags(int argc, char **argv, int inspect,
                       struct wal_cmd_opts *o)
{
	static const char *const valued[] = {"--dir", "--kind", "--audit-id",
	                                     "--tool"};

	memset(o, 0, sizeof(*o));
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;
		size_t flen;
		int which = -1;

		if (inspect && strcmp(arg, "--json") == 0) {
			o->json = 1;
			continue;
		}
		eq = strchr(arg, '=');
		flen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (int f = 0; f < (inspect ? 4 : 1); f++)
			if (strlen(valued[f]) == flen &&
			    strncmp(arg, valued[f], flen) == 0)
				which = f;
		if (which < 0)
			return usage_error("%s: unknown flag %.*s", argv[1],
			                   (int)flen, arg);
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		if (val == NULL || *val == '\0')
			return usage_error("%s: flag %s needs a value", argv[1],
			                   valued[which]);
		switch (which) {
		case 0:
			o->dir = val;
			break;
		case 1:
			o->kind = val;
			break;
		case 2:
			o->audit_id = val;
			break;
		case 3:
			o->tool = val;
			break;
		}
	}
	if (o->dir == NULL)
		return usage_error("%s: flag --dir is required", argv[1]);
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 if s starts an
 * invalid one (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = s[0] == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3
		                                                         : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = s[0] == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		               (s[3] & 0xc0) == 0x80
		           ? 4
		           : 0;
	}
	return 0;
}

/* Terminal-safe text: printable UTF-8 as is; controls (C0, DEL, C1),
 * invalid bytes and backslash as \xNN; empty as "-". With quote, a value
 * holding a space, '"' or '=' is put in double quotes. */
static void put_text(FILE *f, const char *str, int quote)
{
	const unsigned char *s = (const unsigned char *)str;
	int q = 0;

	if (str == NULL || *str == '\0') {
		fputs(quote ? "\"\"" : "-", f);
		return;
	}
	if (quote && strpbrk(str, " \"=") != NULL)
		q = 1;
	if (q)
		fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);
		int c1 = n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
		if (n == 0 || c1 || *s < 0x20 || *s == 0x7f || *s == '\\' ||
		    (q && *s == '"')) {
			fprintf(f, "\\x%02x", *s);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	if (q)
		fputc('"', f);
}

/* A JSON string; invalid UTF-8 bytes become U+FFFD so the line stays
 * valid JSON. */
static void put_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

/* UTC ISO-8601 with milliseconds: 2024-05-01T12:00:00.123Z. */
static void format_time(int64_t ns, char *buf, size_t len)
{
	int64_t sec = ns / 1000000000, rem = ns % 1000000000;
	struct tm tm;
	time_t t;
	size_t n;

	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "%" PRId64 "ns", ns);
		return;
	}
	snprintf(buf + n, len - n, ".%03dZ", (int)(rem / 1000000));
}

static void put_hex(FILE *f, const ProtobufCBinaryData *b)
{
	for (size_t i = 0; i < b->len; i++)
		fprintf(f, "%02x", b->data[i]);
}

static int matches(const struct wal_cmd_opts *o, const WalRecord *r)
{
	return (o->kind == NULL || strcmp(o->kind, r->kind) == 0) &&
	       (o->audit_id == NULL || strcmp(o->audit_id, r->audit_id) == 0) &&
	       (o->tool == NULL || strcmp(o->tool, r->tool) == 0);
}

static void print_json(const WalRecord *r)
{
	char when[64];

	format_time(r->time_ns, when, sizeof(when));
	printf("{\"seq\":%" PRIu64 ",\"time_ns\":%" PRId64 ",\"time\":", r->seq,
	       r->time_ns);
	put_json_str(stdout, when);
	fputs(",\"audit_id\":", stdout);
	put_json_str(stdout, r->audit_id);
	fputs(",\"kind\":", stdout);
	put_json_str(stdout, r->kind);
	fputs(",\"origin\":", stdout);
	put_json_str(stdout, r->origin);
	fputs(",\"tool\":", stdout);
	put_json_str(stdout, r->tool);
	fputs(",\"attrs\":{", stdout);
	for (size_t i = 0; i < r->n_attrs; i++) {
		if (i > 0)
			fputc(',', stdout);
		put_json_str(stdout, r->attrs[i]->key);
		fputc(':', stdout);
		put_json_str(stdout, r->attrs[i]->value);
	}
	fputs("},\"prev_hash\":\"", stdout);
	put_hex(stdout, &r->prev_hash);
	fputs("\",\"hash\":\"", stdout);
	put_hex(stdout, &r->hash);
	fputs("\"}\n", stdout);
}

#define TABLE_FMT "%-6s  %-24s  %-36s  %-16s  %-10s  %-14s  "

static void print_row(const WalRecord *r)
{
	char when[64], seq[24];
	/* Column cells go through put_text via a memory stream so escaped
	 * text still pads to the column. */
	char *cell[4] = {NULL, NULL, NULL, NULL};
	const char *src[4] = {r->audit_id, r->kind, r->origin, r->tool};

	format_time(r->time_ns, when, sizeof(when));
	snprintf(seq, sizeof(seq), "%" PRIu64, r->seq);
	for (int i = 0; i < 4; i++) {
		size_t len;
		FILE *m = open_memstream(&cell[i], &len);
		if (m == NULL)
			continue;
		put_text(m, src[i], 0);
		fclose(m);
	}
	printf(TABLE_FMT, seq, when, cell[0] ? cell[0] : "?",
	       cell[1] ? cell[1] : "?", cell[2] ? cell[2] : "?",
	       cell[3] ? cell[3] : "?");
	for (int i = 0; i < 4; i++)
		free(cell[i]);
	for (size_t i = 0; i < r->n_attrs; i++) {
		if (i > 0)
			fputc(' ', stdout);
		put_text(stdout, r->attrs[i]->key, 1);
		fputc('=', stdout);
		put_text(stdout, r->attrs[i]->value, 1);
	}
	fputc('\n', stdout);
}

static int inspect_visit(uint64_t key_seq, const WalRecord *rec, void *arg)
{
	const struct wal_cmd_opts *o = arg;

	(void)key_seq;
	if (!matches(o, rec))
		return 0;
	if (o->json)
		print_json(rec);
	else
		print_row(rec);
	return 0;
}

static int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "autonomy wal: stdout: %s\n",
			        strerror(errno));
		return 1;
	}
	return 0;
}

static int wal_inspect(const struct wal_cmd_opts *o)
{
	struct wal *w;
	char err[512];
	int rc;

	if (wal_open(&w, o->dir, WAL_READ, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy wal inspect: %s\n", err);
		return EXIT_NOWAL;
	}
	if (!o->json)
		printf(TABLE_FMT "%s\n", "SEQ", "TIME (UTC)", "AUDIT_ID",
		       "KIND", "ORIGIN", "TOOL", "ATTRS");
	rc = wal_foreach(w, inspect_visit, (void *)o, err, sizeof(err));
	wal_close(w);
	if (finish_stdout() != 0)
		return 1;
	if (rc == WAL_CORRUPT) {
		fprintf(stderr, "autonomy wal inspect: %s: %s\n", o->dir, err);
		return EXIT_CORRUPT;
	}
	if (rc != 0) {
		fprintf(stderr, "autonomy wal inspect: %s: %s\n", o->dir, err);
		return EXIT_NOWAL;
	}
	return 0;
}

static int wal_verify_cmd(const struct wal_cmd_opts *o)
{
	struct wal *w;
	uint64_t n, bad;
	char err[512];
	int rc;

	if (wal_open(&w, o->dir, WAL_READ, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy wal verify: %s\n", err);
		return EXIT_NOWAL;
	}
	rc = wal_verify(w, &n, &bad, err, sizeof(err));
	wal_close(w);
	if (rc == WAL_CORRUPT) {
		printf("BAD seq %" PRIu64 ": %s (%" PRIu64
		       " records before it verify)\n",
		       bad, err, n);
		finish_stdout();
		return EXIT_CORRUPT;
	}
	if (rc != 0) {
		fprintf(stderr, "autonomy wal verify: %s: %s\n", o->dir, err);
		return EXIT_NOWAL;
	}
	printf("OK %" PRIu64 " records\n", n);
	return finish_stdout();
}

int wal_cmd_main(int argc, char **argv)
{
	struct wal_cmd_opts o;
	int inspect;

	if (argc < 2)
		return usage_error("missing subcommand (inspect or verify)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "inspect") == 0)
		inspect = 1;
	else if (strcmp(argv[1], "verify") == 0)
		inspect = 0;
	else
		return usage_error("unknown subcommand %s", argv[1]);
	if (parse_flags(argc, argv, inspect, &o) != 0)
		return EXIT_USAGE;
	return inspect ? wal_inspect(&o) : wal_verify_cmd(&o);
}
