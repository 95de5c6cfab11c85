#include "fetch_run.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_fd.h"
#include "log.h"
#include "rules.h"

#define CA_FILE_MAX (4 * 1024 * 1024)

/* The CA file: a regular file of PEM certificates, at least one. */
static int open_ca(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf;
	BIO *bio;
	X509 *x;
	int n = 0;

	if (fd < 0)
		return errorf(err, errlen, "--ca-file %s: %s", path,
		              strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CA_FILE_MAX) {
		close(fd);
		return errorf(err, errlen,
		              "--ca-file %s: not a regular file of at most 4 "
		              "MiB (give a PEM file of CA certificates)",
		              path);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		close(fd);
		return errorf(err, errlen, "--ca-file %s: cannot read it",
		              path);
	}
	bio = BIO_new_mem_buf(buf, (int)st.st_size);
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n++;
		X509_free(x);
	}
	BIO_free(bio);
	free(buf);
	if (n == 0) {
		close(fd);
		return errorf(err, errlen,
		              "--ca-file %s: no PEM certificate in it (give "
		              "the CA certificates as -----BEGIN "
		              "CERTIFICATE----- blocks)",
		              path);
	}
	return fd;
}

int fetch_prepare(const struct run_opts *o, const struct bundle *b,
                  struct fetch_conf *fc, char *err, size_t errlen)
{
	struct rules *rs = calloc(1, sizeof(*rs));
	char msg[320];

	memset(fc, 0, sizeof(*fc));
	fc->config_fd = fc->ca_fd = -1;
	if (rs == NULL)
		return errorf(err, errlen, "out of memory");
	for (int i = 0; i < o->nallow_domain; i++)
		if (rules_add(rs, o->allow_domain[i], msg, sizeof(msg)) < 0) {
			free(rs);
			return errorf(err, errlen,
			              "--allow-domain %s (exact host or "
			              "*.domain, optional :PORT)",
			              msg);
		}
	for (size_t i = 0; b != NULL && i < b->n_allowed_domains; i++)
		if (rules_add(rs, b->allowed_domains[i], msg, sizeof(msg)) <
		    0) {
			free(rs);
			return errorf(err, errlen,
			              "--policy: runtime.allowed_domains %s",
			              msg);
		}
	fc->n = rs->n;
	fc->config_fd = config_fd_open("autonomy-fetcher");
	if (fc->config_fd < 0) {
		free(rs);
		return errorf(err, errlen, "memfd_create: %s", strerror(errno));
	}
	if (config_fd_write_rules(fc->config_fd, "allow-domain", rs, fc->joined,
	                          sizeof(fc->joined)) < 0) {
		free(rs);
		fetch_conf_close(fc);
		return errorf(err, errlen, "memfd: %s", strerror(errno));
	}
	free(rs);
	if (fc->n == 0)
		snprintf(fc->joined, sizeof(fc->joined),
		         "none (every tool.http_get is refused)");
	if (config_fd_seal(fc->config_fd) < 0) {
		fetch_conf_close(fc);
		return errorf(err, errlen, "memfd seals: %s", strerror(errno));
	}
	if (o->ca_file != NULL &&
	    (fc->ca_fd = open_ca(o->ca_file, err, errlen)) < 0) {
		fetch_conf_close(fc);
		return -1;
	}
	return 0;
}

void fetch_conf_close(struct fetch_conf *fc)
{
	if (fc->config_fd >= 0)
		close(fc->config_fd);
	if (fc->ca_fd >= 0)
		close(fc->ca_fd);
	fc->config_fd = fc->ca_fd = -1;
}
