#include "fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define RESP_HEADERS_MAX 100
#define RESP_HEADER_BYTES (32 * 1024)
#define USER_AGENT "autonomy-fetcher/" AUTONOMY_VERSION

static X509_STORE *ca_store; /* shared, read-only once loaded */

static int load_pem(X509_STORE *st, BIO *bio)
{
	X509 *x;
	int n = 0;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) == 1)
			n++;
		X509_free(x);
	}
	return n;
}

int fetch_init(const char *pem, size_t pem_len, int with_tls, char *err,
               size_t errlen)
{
	const char *sys = X509_get_default_cert_file();
	BIO *bio;
	int n;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		return -1;
	}
	if (!with_tls) {
		log_debug("CA store: not read (no allowed domain: nothing to "
		          "fetch)");
		return 0;
	}
	if ((ca_store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Read now, whole: once confined the fetcher opens no file, so
	 * nothing may be looked up lazily (no hashed directory). */
	bio = pem ? BIO_new_mem_buf(pem, (int)pem_len) : BIO_new_file(sys, "r");
	if (bio == NULL) {
		snprintf(err, errlen, "cannot read the CA store %s",
		         pem ? "(--ca-file)" : sys);
		return -1;
	}
	n = load_pem(ca_store, bio);
	BIO_free(bio);
	if (n == 0) {
		snprintf(err, errlen, "no certificate in the CA store %s",
		         pem ? "(--ca-file)" : sys);
		return -1;
	}
	log_debug("CA store: %d certificates from %s", n,
	          pem ? "--ca-file" : sys);
	return 0;
}

struct fetch_worker {
	CURL *curl;
	char last_pin[320]; /* "host:port:addr" of the last hop */
};

struct fetch_worker *fetch_worker_new(void)
{
	struct fetch_worker *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->curl = curl_easy_init()) == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

/* What one transfer collects. */
struct xfer {
	const struct fetch_hop *hop;
	unsigned char *body;
	size_t len, cap;
	int truncated;
	json_t *headers;
	size_t nheaders, header_bytes;
	int headers_truncated;
	char location[URL_MAX + 1];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, room = x->hop->max_bytes - x->len;

	if (len > room) {
		x->truncated = 1;
		len = room;
	}
	if (x->len + len > x->cap) {
		size_t nc = x->cap ? x->cap : 16384;
		unsigned char *b;
		while (nc < x->len + len)
			nc *= 2;
		if (nc > x->hop->max_bytes)
			nc = x->hop->max_bytes;
		if ((b = realloc(x->body, nc)) == NULL)
			return 0;
		x->body = b;
		x->cap = nc;
	}
	memcpy(x->body + x->len, p, len);
	x->len += len;
	/* 0 aborts the transfer (CURLE_WRITE_ERROR): the bound is met */
	return x->truncated ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char name[128], *value;
	const char *colon = memchr(p, ':', len);
	json_t *old;
	size_t nl, vl;

	/* A status line starts a new header block (after a 1xx). */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		json_object_clear(x->headers);
		x->nheaders = x->header_bytes = 0;
		x->location[0] = '\0';
		return len;
	}
	if (colon == NULL || colon == p)
		return len;
	nl = (size_t)(colon - p);
	if (nl >= sizeof(name) || x->nheaders >= RESP_HEADERS_MAX ||
	    x->header_bytes + len > RESP_HEADER_BYTES) {
		x->headers_truncated = 1;
		return len;
	}
	for (size_t i = 0; i < nl; i++)
		name[i] =
		    (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32) : p[i];
	name[nl] = '\0';
	colon++;
	while (colon < p + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	vl = (size_t)(p + len - colon);
	while (vl > 0 && (colon[vl - 1] == '\r' || colon[vl - 1] == '\n' ||
	                  colon[vl - 1] == ' ' || colon[vl - 1] == '\t'))
		vl--;
	if ((value = strndup(colon, vl)) == NULL)
		return 0;
	if (strcmp(name, "location") == 0 && vl < sizeof(x->location))
		snprintf(x->location, sizeof(x->location), "%s", value);
	x->nheaders++;
	x->header_bytes += len;
	/* Repeated headers are joined with ", " (RFC 9110 5.3). Values
	 * that are not UTF-8 are dropped by jansson, which refuses them:
	 * the header is then left out and the output says so. */
	old = json_object_get(x->headers, name);
	if (old != NULL) {
		char *j;
		if (asprintf(&j, "%s, %s", json_string_value(old), value) > 0) {
			if (json_object_set_new(x->headers, name,
			                        json_string(j)) < 0)
				x->headers_truncated = 1;
			free(j);
		}
	} else if (json_object_set_new(x->headers, name, json_string(value)) <
	           0) {
		x->headers_truncated = 1;
	}
	free(value);
	return len;
}

/* Belt and braces to CURLOPT_RESOLVE: a socket is only ever opened
 * towards the address the runtime layer checked. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
	const struct fetch_hop *h = arg;
	const struct sockaddr *want = (const struct sockaddr *)&h->addr;
	int same = 0;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    a->addr.sa_family != want->sa_family)
		return CURL_SOCKET_BAD;
	if (want->sa_family == AF_INET)
		same = memcmp(&((struct sockaddr_in *)&a->addr)->sin_addr,
		              &((const struct sockaddr_in *)want)->sin_addr,
		              4) == 0 &&
		       ntohs(((struct sockaddr_in *)&a->addr)->sin_port) ==
		           h->u->port;
	else if (want->sa_family == AF_INET6)
		same = memcmp(&((struct sockaddr_in6 *)&a->addr)->sin6_addr,
		              &((const struct sockaddr_in6 *)want)->sin6_addr,
		              16) == 0 &&
		       ntohs(((struct sockaddr_in6 *)&a->addr)->sin6_port) ==
		           h->u->port;
	if (!same) {
		log_warnx("refusing a connection to an address that was not "
		          "checked");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static CURLcode on_ssl_ctx(CURL *c, void *ssl_ctx, void *arg)
{
	(void)c;
	(void)arg;
	if (ca_store == NULL) /* fail closed: no store, no handshake */
		return CURLE_SSL_CACERT_BADFILE;
	SSL_CTX_set1_cert_store(ssl_ctx, ca_store); /* takes a reference */
	return CURLE_OK;
}

/* Valid UTF-8 without controls but tab, CR and LF: the body goes out as
 * text (at most twice its size once escaped); anything else as base64. */
static int utf8_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k;
		unsigned cp;
		/* controls would cost 6 bytes each in JSON: base64 */
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static json_t *body_json(const struct xfer *x, const char **key)
{
	char *b64;
	json_t *v;

	if (utf8_text(x->body, x->len)) {
		*key = "body";
		return json_stringn(x->body ? (const char *)x->body : "",
		                    x->len);
	}
	*key = "body_base64";
	if ((b64 = malloc(4 * ((x->len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, x->body, (int)x->len);
	v = json_string(b64);
	free(b64);
	return v;
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		          out, (socklen_t)len);
	else
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)ss)->sin6_addr, out,
		          (socklen_t)len);
}

/* A Location resolved against the hop's URL, as curl's URL API reads
 * it; url_parse() in policyd and here has the last word. */
static void resolve_location(const struct url *base, const char *loc, char *out,
                             size_t len)
{
	CURLU *h = curl_url();
	char *abs = NULL;

	out[0] = '\0';
	if (h == NULL)
		return;
	if (curl_url_set(h, CURLUPART_URL, base->canonical, 0) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_URL, loc, CURLU_NON_SUPPORT_SCHEME) ==
	        CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &abs, 0) == CURLUE_OK)
		snprintf(out, len, "%s", abs);
	else
		snprintf(out, len, "%s", loc); /* url_parse refuses it */
	curl_free(abs);
	curl_url_cleanup(h);
}

int fetch_run(struct fetch_worker *w, const struct fetch_hop *h,
              struct fetch_out *out)
{
	struct xfer x;
	struct curl_slist *hdrs = NULL, *pin = NULL;
	char line[HTTP_HEADER_NAME_MAX + HTTP_HEADER_VALUE_MAX + 4];
	char pinbuf[320] = "", ebuf[CURL_ERROR_SIZE];
	const char *body_key;
	json_t *o, *body;
	CURL *c = w->curl;
	CURLcode rc;
	long status = 0;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.hop = h;
	if ((x.headers = json_object()) == NULL)
		return -1;
	addr_text(&h->addr, out->address, sizeof(out->address));
	for (size_t i = 0; i < h->nhdr; i++) {
		struct curl_slist *t;
		snprintf(line, sizeof(line), "%s: %s", h->hdr_names[i],
		         h->hdr_values[i]);
		if ((t = curl_slist_append(hdrs, line)) == NULL)
			goto nomem;
		hdrs = t;
	}
	/* The name resolves to the checked address, and to nothing else. */
	if (h->u->host_kind == URL_HOST_NAME) {
		snprintf(pinbuf, sizeof(pinbuf),
		         h->addr.ss_family == AF_INET6 ? "%s:%u:[%s]"
		                                       : "%s:%u:%s",
		         h->u->host, h->u->port, out->address);
		if ((pin = curl_slist_append(NULL, pinbuf)) == NULL)
			goto nomem;
	}

	curl_easy_reset(c);
	ebuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, h->u->canonical);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* as decided */
	curl_easy_setopt(c, CURLOPT_PROXY, "");      /* no proxy, even */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");   /* from env */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL); /* our store only */
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	/* A kept-alive connection to this host:port went to the address
	 * checked then; when the answer differs, never reuse it. */
	if (strcmp(w->last_pin, pinbuf) != 0 &&
	    h->u->host_kind == URL_HOST_NAME) {
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		snprintf(w->last_pin, sizeof(w->last_pin), "%s", pinbuf);
	}

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	out->status = status;
	if (rc == CURLE_WRITE_ERROR && x.truncated)
		rc = CURLE_OK; /* our bound, not an error */

	o = json_object();
	body = body_json(&x, &body_key);
	if (o == NULL || body == NULL ||
	    json_object_set_new(o, "url", json_string(h->u->canonical)) < 0 ||
	    json_object_set_new(o, "status", json_integer(status)) < 0 ||
	    json_object_set(o, "headers", x.headers) < 0 ||
	    json_object_set_new(o, body_key, body) < 0 ||
	    json_object_set_new(o, "truncated", json_boolean(x.truncated)) <
	        0) {
		json_decref(o);
		goto nomem;
	}
	if (x.headers_truncated)
		json_object_set_new(o, "headers_truncated", json_true());
	if (rc != CURLE_OK)
		json_object_set_new(
		    o, "error",
		    json_string(ebuf[0] ? ebuf : curl_easy_strerror(rc)));
	if (rc == CURLE_OK && status >= 300 && status < 400 && status != 304 &&
	    x.location[0] != '\0')
		resolve_location(h->u, x.location, out->location,
		                 sizeof(out->location));
	out->output_json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pin);
	json_decref(x.headers);
	free(x.body);
	return out->output_json ? 0 : -1;
nomem:
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pin);
	json_decref(x.headers);
	free(x.body);
	return -1;
}
