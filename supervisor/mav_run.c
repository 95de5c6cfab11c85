#include "mav_run.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "config_fd.h"
#include "log.h"

static speed_t baud_speed(unsigned baud)
{
	switch (baud) {
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 115200:
		return B115200;
	case 230400:
		return B230400;
	case 460800:
		return B460800;
	case 500000:
		return B500000;
	case 921600:
		return B921600;
	default:
		return B1500000;
	}
}

/* The serial device, opened and set raw at BAUD: mavproxy gets the fd. */
static int open_serial(const struct mav_endpoint *ep, char *err, size_t errlen)
{
	int fd = open(ep->path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	struct termios t;
	struct stat st;

	if (fd < 0)
		return errorf(err, errlen, "--mavlink-endpoint %s: %s: %s",
		              ep->text, ep->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || !isatty(fd) ||
	    tcgetattr(fd, &t) < 0) {
		close(fd);
		return errorf(err, errlen,
		              "--mavlink-endpoint %s: %s is not a serial "
		              "device (a tty)",
		              ep->text, ep->path);
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	if (cfsetispeed(&t, baud_speed(ep->baud)) < 0 ||
	    cfsetospeed(&t, baud_speed(ep->baud)) < 0 ||
	    tcsetattr(fd, TCSANOW, &t) < 0) {
		close(fd);
		return errorf(err, errlen,
		              "--mavlink-endpoint %s: cannot set %s raw at %u "
		              "baud: %s",
		              ep->text, ep->path, ep->baud, strerror(errno));
	}
	return fd;
}

static void describe_fence(const struct mav_settings *s, char *buf, size_t len)
{
	if (s->fence == MAV_FENCE_CIRCLE)
		snprintf(buf, len, "circle %.7f,%.7f radius %.0f m, max %.0f m",
		         s->lat, s->lon, s->radius_m, s->max_alt_m);
	else if (s->fence == MAV_FENCE_POLYGON)
		snprintf(buf, len, "polygon of %zu vertices, max %.0f m",
		         s->npoly, s->max_alt_m);
	else
		snprintf(buf, len, "none (takeoff and goto are refused)");
}

int mav_prepare(const struct run_opts *o, const struct bundle *b,
                struct mav_conf *mc, char *err, size_t errlen)
{
	json_t *rt = NULL, *mav = NULL;
	struct mav_settings s;
	char perr[320], *text;
	json_error_t je;

	mc->on = 0;
	mc->config_fd = mc->link_fd = -1;
	if (o->mavlink_endpoint == NULL)
		return 0;
	/* One runtime per link: a run inside another's workload would
	 * govern the vehicle from a place the outer run cannot see. */
	if (getenv("AUTONOMY_RUNTIME_URL") != NULL)
		return errorf(
		    err, errlen,
		    "--mavlink-endpoint: AUTONOMY_RUNTIME_URL is set: "
		    "this autonomy runs under another runtime, and "
		    "the autopilot link is not nestable (run it "
		    "outside, or unset the variable)");
	if (mav_endpoint_parse(o->mavlink_endpoint, &mc->ep, perr,
	                       sizeof(perr)) < 0)
		return errorf(err, errlen, "--mavlink-endpoint %s", perr);
	if (b != NULL && b->runtime_json != NULL &&
	    (rt = json_loads(b->runtime_json, 0, &je)) != NULL)
		mav = json_object_get(rt, "mavlink");
	if (mav_settings_parse(mav, &s, perr, sizeof(perr)) < 0) {
		json_decref(rt);
		return errorf(err, errlen, "--policy: manifest.json: %s", perr);
	}
	text = mav ? json_dumps(mav, JSON_COMPACT | JSON_SORT_KEYS)
	           : strdup("null");
	json_decref(rt);
	if (text == NULL)
		return errorf(err, errlen, "out of memory");
	mc->config_fd = config_fd_from("autonomy-mavproxy", text, strlen(text));
	free(text);
	if (mc->config_fd < 0)
		return errorf(err, errlen,
		              "cannot hand mavproxy its settings "
		              "(memfd)");
	describe_fence(&s, mc->fence, sizeof(mc->fence));
	snprintf(mc->interval, sizeof(mc->interval), "%u", s.min_interval_ms);
	if (mc->ep.kind == MAV_LINK_SERIAL &&
	    (mc->link_fd = open_serial(&mc->ep, err, errlen)) < 0) {
		mav_conf_close(mc);
		return -1;
	}
	mc->on = 1;
	return 0;
}

void mav_conf_close(struct mav_conf *mc)
{
	if (mc->config_fd >= 0)
		close(mc->config_fd);
	if (mc->link_fd >= 0)
		close(mc->link_fd);
	mc->config_fd = mc->link_fd = -1;
}
