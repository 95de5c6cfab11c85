/* mavproxy: the autopilot link and tool.mavlink.*'s runtime layer
 * (DESIGN.md §1, §2 step 5).
 *
 *   mavproxy --rundir DIR --ready-fd N --client-pid P --endpoint E
 *            --environment sitl|real [--link-fd F] [--config-fd C]
 *
 * E is --mavlink-endpoint as the supervisor checked it; for a serial one
 * F is the device, opened and set up by the supervisor (we open no
 * file). For tcp/udp we dial E ourselves and redial when the link drops.
 * C holds the bundle's runtime.mavlink settings (JSON; mavproxy/
 * settings.h), read to the end before confinement.
 *
 * Listens (rep) on DIR/mavproxy/mavproxy.sock and serves MavlinkRequests
 * from pid P (policyd) only; dials (req) DIR/walwriter/walwriter.sock.
 * A facts request answers the vehicle's live facts (context.runtime); a
 * call is decided again here (the link, the interval between commands,
 * the flight environments, arming and takeoff preconditions, the
 * geofence), recorded as runtime.allow / runtime.deny under the call's
 * audit id, durable, and only then sent to the autopilot. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "attack.h"
#include "confine.h"
#include "envelope.h"
#include "helper.h"
#include "ipc.h"
#include "link.h"
#include "log.h"
#include "runtime_rec.h"
#include "sandbox.h"
#include "settings.h"
#include "tool.h"

#define MAVPROXY_WORKERS 4
#define MAVPROXY_WAL_TIMEOUT_MS 5000
#define CONFIG_MAX (64 * 1024)
/* Arming needs a heartbeat at least this fresh. */
#define ARM_HEARTBEAT_MS 2000

static struct mav_endpoint endpoint;
static struct mav_settings settings;
static const char *environment;
static int client_pid = -1;
static nng_socket rep, walsock;
/* Commands one at a time: the ACK we wait for is unambiguous, and the
 * interval between commands is measured between decisions. */
static pthread_mutex_t command_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_command_ms = -1;

struct worker {
	pthread_t thread;
	nng_ctx ctx, wal;
};

/* ---- replies ------------------------------------------------------------ */

static void reply(struct worker *w, Autonomy__Outcome o, const char *reason,
                  const char *output, const char *facts, const char *error)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__MavlinkReply r = AUTONOMY__MAVLINK_REPLY__INIT;

	r.outcome = o;
	r.reason = (char *)(reason ? reason : "");
	r.output_json = (char *)(output ? output : "");
	r.facts_json = (char *)(facts ? facts : "");
	r.error = (char *)(error ? error : "");
	env.body_case = AUTONOMY__ENVELOPE__BODY_MAVLINK_REPLY;
	env.mavlink_reply = &r;
	if (ipc_reply(w->ctx, &env) < 0)
		log_warnx("cannot send a reply");
}

/* ---- the vehicle's facts ----------------------------------------------- */

static const char *armed_state(const struct vehicle *v)
{
	if (!v->have_hb)
		return "unknown";
	return v->hb.base_mode & MAV_MODE_FLAG_SAFETY_ARMED ? "armed"
	                                                    : "disarmed";
}

static const char *mode_text(const struct vehicle *v)
{
	const char *m = v->have_hb ? mav_mode_name(v->hb.custom_mode) : NULL;

	return m ? m : "unknown";
}

/* context.runtime's live facts (policyd adds environment). */
static char *facts_json(const struct vehicle *v)
{
	json_t *o = json_pack(
	    "{s:s, s:I, s:I, s:I, s:s}", "armed_state", armed_state(v),
	    "gps_fix", (json_int_t)(v->have_gps ? v->fix_type : 0),
	    "heartbeat_age_ms", (json_int_t)v->heartbeat_age_ms, "sysid",
	    (json_int_t)(v->have_hb ? v->sysid : 0), "current_mode",
	    mode_text(v));
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	return s;
}

static int link_up(const struct vehicle *v)
{
	return v->connected && v->heartbeat_age_ms >= 0 &&
	       v->heartbeat_age_ms <= LINK_STALE_MS;
}

/* tool.mavlink.status's output: the last HEARTBEAT, SYS_STATUS,
 * GLOBAL_POSITION_INT, armed and mode. */
static char *status_json(const struct vehicle *v)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}}",
	    "armed_state", armed_state(v), "mode", mode_text(v),
	    "heartbeat_age_ms", (json_int_t)v->heartbeat_age_ms, "heartbeat",
	    "sysid", (json_int_t)v->sysid, "custom_mode",
	    (json_int_t)v->hb.custom_mode, "base_mode",
	    (json_int_t)v->hb.base_mode, "system_status",
	    (json_int_t)v->hb.system_status, "type", (json_int_t)v->hb.type,
	    "gps", "fix_type", (json_int_t)v->fix_type, "satellites",
	    (json_int_t)v->satellites);
	char *s;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "armed",
	                    json_boolean(strcmp(armed_state(v), "armed") == 0));
	if (v->have_sys)
		json_object_set_new(
		    o, "sys_status",
		    json_pack("{s:I, s:I, s:I, s:I}", "voltage_battery_mv",
		              (json_int_t)v->sys.voltage_battery,
		              "battery_remaining_pct",
		              (json_int_t)v->sys.battery_remaining, "load",
		              (json_int_t)v->sys.load, "sensors_health",
		              (json_int_t)v->sys.sensors_health));
	if (v->have_pos)
		json_object_set_new(
		    o, "global_position_int",
		    json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}", "lat",
		              v->pos.lat / 1e7, "lon", v->pos.lon / 1e7,
		              "alt_m", v->pos.alt / 1e3, "relative_alt_m",
		              v->pos.relative_alt / 1e3, "vx_cms",
		              (json_int_t)v->pos.vx, "vy_cms",
		              (json_int_t)v->pos.vy, "vz_cms",
		              (json_int_t)v->pos.vz, "hdg_cdeg",
		              (json_int_t)v->pos.hdg));
	if (v->statustext[0] != '\0')
		json_object_set_new(o, "statustext",
		                    json_string(v->statustext));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* ---- the runtime layer ------------------------------------------------- */

static int fence_check(const struct mav_call *c, double lat, double lon,
                       const char *what, char *why, size_t len)
{
	double d;

	if (settings.fence == MAV_FENCE_NONE) {
		snprintf(why, len,
		         "no geofence is configured: every takeoff and goto "
		         "is refused until one is (runtime.mavlink.geofence "
		         "in the bundle's manifest)");
		return 0;
	}
	if (c->alt_m > settings.max_alt_m) {
		snprintf(why, len,
		         "%s to %.1f m is above the geofence's maximum "
		         "altitude (%.1f m above home)",
		         what, c->alt_m, settings.max_alt_m);
		return 0;
	}
	if (!mav_fence_contains(&settings, lat, lon, &d)) {
		if (settings.fence == MAV_FENCE_CIRCLE)
			snprintf(why, len,
			         "%s (%.7f, %.7f) is outside the geofence: "
			         "%.0f m from its centre, radius %.0f m",
			         what, lat, lon, d, settings.radius_m);
		else
			snprintf(why, len,
			         "%s (%.7f, %.7f) is outside the geofence "
			         "polygon",
			         what, lat, lon);
		return 0;
	}
	return 1;
}

/* 1 allow, 0 deny with why. Called with command_mu held for commands. */
static int runtime_decide(const struct mav_call *c, const struct vehicle *v,
                          char *why, size_t len)
{
	int flight = c->tool == MT_ARM || c->tool == MT_SET_MODE ||
	             c->tool == MT_TAKEOFF || c->tool == MT_GOTO;
	int64_t now = link_now_ms();

	if (!v->connected) {
		snprintf(why, len,
		         "the autopilot link is down (%s); mavproxy keeps "
		         "reconnecting",
		         v->link_error);
		return 0;
	}
	if (!link_up(v)) {
		if (v->heartbeat_age_ms < 0)
			snprintf(why, len,
			         "the autopilot link is down: no HEARTBEAT "
			         "from the vehicle yet on %s",
			         endpoint.text);
		else
			snprintf(why, len,
			         "the autopilot link is down: no HEARTBEAT "
			         "from the vehicle for %lld ms on %s",
			         (long long)v->heartbeat_age_ms, endpoint.text);
		return 0;
	}
	if (c->tool == MT_STATUS)
		return 1;
	if (flight && settings.flight_envs != 0 &&
	    !(settings.flight_envs & mav_env_bit(environment))) {
		snprintf(why, len,
		         "tool.mavlink.%s is not allowed in the %s "
		         "environment (runtime.mavlink.flight_environments)",
		         c->name, environment);
		return 0;
	}
	/* Recovery (land, rtl) is never held back by the interval. */
	if (c->tool != MT_LAND && c->tool != MT_RTL &&
	    settings.min_interval_ms > 0 && last_command_ms >= 0 &&
	    now - last_command_ms < (int64_t)settings.min_interval_ms) {
		snprintf(why, len,
		         "commands must be at least %u ms apart "
		         "(runtime.mavlink.min_command_interval_ms); the last "
		         "was %lld ms ago",
		         settings.min_interval_ms,
		         (long long)(now - last_command_ms));
		return 0;
	}
	switch (c->tool) {
	case MT_ARM:
		if (v->heartbeat_age_ms > ARM_HEARTBEAT_MS) {
			snprintf(why, len,
			         "arming needs a fresh HEARTBEAT (the last is "
			         "%lld ms old, at most %d)",
			         (long long)v->heartbeat_age_ms,
			         ARM_HEARTBEAT_MS);
			return 0;
		}
		if (!v->have_gps || v->fix_type < 3) {
			snprintf(why, len,
			         "arming needs a 3D GPS fix (fix_type %d)",
			         v->have_gps ? v->fix_type : 0);
			return 0;
		}
		return 1;
	case MT_TAKEOFF:
		if (strcmp(armed_state(v), "armed") != 0) {
			snprintf(why, len,
			         "takeoff needs a confirmed armed state (the "
			         "last HEARTBEAT says %s)",
			         armed_state(v));
			return 0;
		}
		if (!v->have_pos) {
			snprintf(why, len,
			         "takeoff needs the vehicle's "
			         "position (no GLOBAL_POSITION_INT "
			         "yet)");
			return 0;
		}
		return fence_check(c, v->pos.lat / 1e7, v->pos.lon / 1e7,
		                   "takeoff", why, len);
	case MT_GOTO:
		return fence_check(c, c->lat, c->lon, "goto", why, len);
	default:
		return 1;
	}
}

static const char *result_name(uint8_t r)
{
	static const char *const names[] = {
	    "ACCEPTED", "TEMPORARILY_REJECTED", "DENIED",   "UNSUPPORTED",
	    "FAILED",   "IN_PROGRESS",          "CANCELLED"};
	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "UNKNOWN";
}

/* Runs an allowed command: the autopilot's answer as output JSON. */
static char *command_run(const struct mav_call *c)
{
	float p[7] = {0};
	uint16_t cmd = 0;
	const char *cname = "";
	uint8_t result = 0;
	int tries = 0;
	char err[256];
	json_t *o;
	char *s;

	switch (c->tool) {
	case MT_ARM:
	case MT_DISARM:
		cmd = MAV_CMD_COMPONENT_ARM_DISARM;
		cname = "MAV_CMD_COMPONENT_ARM_DISARM";
		p[0] = c->tool == MT_ARM ? 1.0f : 0.0f;
		break;
	case MT_SET_MODE:
		cmd = MAV_CMD_DO_SET_MODE;
		cname = "MAV_CMD_DO_SET_MODE";
		p[0] = MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
		p[1] = (float)c->mode;
		break;
	case MT_TAKEOFF:
		cmd = MAV_CMD_NAV_TAKEOFF;
		cname = "MAV_CMD_NAV_TAKEOFF";
		p[6] = (float)c->alt_m;
		break;
	case MT_LAND:
		cmd = MAV_CMD_NAV_LAND;
		cname = "MAV_CMD_NAV_LAND";
		break;
	case MT_RTL:
		cmd = MAV_CMD_NAV_RETURN_TO_LAUNCH;
		cname = "MAV_CMD_NAV_RETURN_TO_LAUNCH";
		break;
	case MT_GOTO:
		if (link_goto(c->lat, c->lon, (float)c->alt_m, err,
		              sizeof(err)) < 0)
			o = json_pack("{s:s, s:s, s:s}", "message",
			              "SET_POSITION_TARGET_GLOBAL_INT",
			              "result", "NOT_SENT", "error", err);
		else
			o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:s}",
			              "message",
			              "SET_POSITION_TARGET_GLOBAL_INT",
			              "result", "SENT", "lat", c->lat, "lon",
			              c->lon, "alt_m", c->alt_m, "note",
			              "the protocol has no acknowledgement: "
			              "watch tool.mavlink.status");
		goto done;
	case MT_STATUS:
		return NULL;
	}
	if (link_command(cmd, p, &result, &tries, err, sizeof(err)) < 0)
		o = json_pack("{s:s, s:i, s:s, s:s}", "command", cname,
		              "command_id", cmd, "result", "TIMEOUT", "error",
		              err);
	else
		o = json_pack("{s:s, s:i, s:s, s:i, s:i}", "command", cname,
		              "command_id", cmd, "result", result_name(result),
		              "result_code", result, "attempts", tries);
done:
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

static void serve_call(struct worker *w, const Autonomy__MavlinkRequest *req)
{
	struct mav_call c;
	struct vehicle v;
	struct runtime_rec r = {0};
	char err[512], why[512], age[24], *out = NULL;
	int unknown, allow, command;

	if (mav_call_parse(req->kind, req->params_json, &c, &unknown, err,
	                   sizeof(err)) < 0 &&
	    !unknown) {
		reply(w, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS, NULL, NULL,
		      NULL, err);
		return;
	}
	command = !unknown && c.tool != MT_STATUS;
	if (command)
		pthread_mutex_lock(&command_mu);
	link_snapshot(&v);
	if (unknown) {
		snprintf(why, sizeof(why), "%s", err);
		allow = 0;
	} else {
		allow = runtime_decide(&c, &v, why, sizeof(why));
	}
	snprintf(age, sizeof(age), "%lld", (long long)v.heartbeat_age_ms);
	r.kind = allow ? "runtime.allow" : "runtime.deny";
	runtime_rec_add(&r, "layer", "mavlink");
	if (!allow)
		runtime_rec_add(&r, "reason", why);
	runtime_rec_add(&r, "environment", environment);
	runtime_rec_add(&r, "endpoint", endpoint.text);
	runtime_rec_add(&r, "armed_state", armed_state(&v));
	runtime_rec_add(&r, "current_mode", mode_text(&v));
	runtime_rec_add(&r, "heartbeat_age_ms", age);
	if (runtime_rec_write(w->wal, req->audit_id, req->kind, &r, err,
	                      sizeof(err)) < 0) {
		/* no record, no command */
		log_warnx("call %s: %s not recorded: %s", req->audit_id, r.kind,
		          err);
		if (command)
			pthread_mutex_unlock(&command_mu);
		reply(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		      NULL, "the runtime decision could not be recorded");
		return;
	}
	if (!allow) {
		if (command)
			pthread_mutex_unlock(&command_mu);
		reply(w, AUTONOMY__OUTCOME__OUTCOME_DENY, why, NULL, NULL,
		      NULL);
		return;
	}
	if (command) {
		if (c.tool != MT_LAND && c.tool != MT_RTL)
			last_command_ms = link_now_ms();
		out = command_run(&c);
		pthread_mutex_unlock(&command_mu);
	} else {
		out = status_json(&v);
	}
	if (out == NULL)
		reply(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		      NULL, "mavproxy: out of memory");
	else
		reply(w, AUTONOMY__OUTCOME__OUTCOME_ALLOW, NULL, out, NULL,
		      NULL);
	free(out);
}

static void serve(struct worker *w, const Autonomy__MavlinkRequest *req)
{
	struct vehicle v;
	char *facts;

	if (!req->facts_only) {
		serve_call(w, req);
		return;
	}
	link_snapshot(&v);
	if ((facts = facts_json(&v)) == NULL) {
		reply(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		      NULL, "mavproxy: out of memory");
		return;
	}
	reply(w, AUTONOMY__OUTCOME__OUTCOME_ALLOW, NULL, NULL, facts, NULL);
	free(facts);
}

static void serve_request(void *arg, const Envelope *req)
{
	serve(arg, req->mavlink_request);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	helper_serve(w->ctx, client_pid, "mavproxy",
	             AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST, "MavlinkRequest",
	             serve_request, w);
	return NULL;
}

/* ---- start-up ---------------------------------------------------------- */

/* The bundle's runtime.mavlink, parsed with the validator's parser. */
static void load_config(int fd)
{
	char *buf = malloc(CONFIG_MAX + 1), err[320];
	size_t len = 0;
	json_error_t je;
	json_t *j;
	ssize_t n;

	if (buf == NULL)
		fatalx("config: out of memory");
	while ((n = read(fd, buf + len, CONFIG_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("config fd %d", fd);
		len += (size_t)n;
		if (len == CONFIG_MAX)
			fatalx("config: over %d bytes", CONFIG_MAX);
	}
	close(fd);
	buf[len] = '\0';
	j = json_loads(buf, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	free(buf);
	if (j == NULL)
		fatalx("config: %s", je.text);
	if (mav_settings_parse(json_is_null(j) ? NULL : j, &settings, err,
	                       sizeof(err)) < 0)
		fatalx("config: %s", err);
	json_decref(j);
}

static noreturn void usage(void)
{
	fprintf(stderr, "usage: mavproxy --rundir DIR --ready-fd N "
	                "--client-pid P --endpoint E --environment "
	                "sitl|real [--link-fd F] [--config-fd C]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"ready-fd", required_argument, NULL, 'f'},
	    {"client-pid", required_argument, NULL, 'p'},
	    {"endpoint", required_argument, NULL, 'e'},
	    {"environment", required_argument, NULL, 'E'},
	    {"link-fd", required_argument, NULL, 'l'},
	    {"config-fd", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	static struct worker workers[MAVPROXY_WORKERS];
	const char *rundir = NULL, *ep = NULL;
	int ready_fd = -1, config_fd = -1, link_fd = -1, ch, rv, sig, abi;
	char url[128], walurl[128], sockdir[128], err[256];
	unsigned port;
	uint32_t seed;
	sigset_t stop;

	helper_init("mavproxy");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			rundir = optarg;
		else if (ch == 'e')
			ep = optarg;
		else if (ch == 'E')
			environment = optarg;
		else if (ch == 'f' && (ready_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'c' &&
		         (config_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'l' && (link_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'p' && (client_pid = atoi(optarg)) > 0)
			continue;
		else
			usage();
	}
	if (optind != argc || rundir == NULL || ready_fd < 0 ||
	    client_pid <= 0 || ep == NULL || environment == NULL ||
	    mav_env_bit(environment) == 0)
		usage();
	if (mav_endpoint_parse(ep, &endpoint, err, sizeof(err)) < 0)
		fatalx("--endpoint %s", err);
	if ((endpoint.kind == MAV_LINK_SERIAL) != (link_fd >= 0))
		fatalx("--link-fd goes with a serial endpoint, and only there");
	attack_init(rundir);
	if (ipc_url(url, sizeof(url), rundir, IPC_MAVPROXY) < 0 ||
	    ipc_url(walurl, sizeof(walurl), rundir, IPC_WALWRITER) < 0 ||
	    (size_t)snprintf(sockdir, sizeof(sockdir), "%s/%s", rundir,
	                     IPC_DIR_MAVPROXY) >= sizeof(sockdir))
		fatalx("--rundir %s: path too long for a socket", rundir);

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatalx("pthread_sigmask");
	/* else jansson reads /dev/urandom on first use */
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		fatal("getrandom");
	json_object_seed(seed | 1);

	if (config_fd >= 0)
		load_config(config_fd);
	if (link_init(&endpoint, link_fd) < 0)
		fatalx("--endpoint %s: cannot set up the link", ep);

	/* Landlock before the first nng socket starts nng's threads: no
	 * file at all, only our own socket to make; TCP connect to the
	 * endpoint's port only (tcp), none at all otherwise; no bind. */
	port = endpoint.port;
	if (confine_landlock_net(NULL, sockdir, &port,
	                         endpoint.kind == MAV_LINK_TCP ? 1 : 0,
	                         &abi) < 0)
		fatalx("cannot confine mavproxy (Landlock)");
	if (ipc_listen_rep(&rep, url) < 0)
		fatalx("cannot listen on %s", url);
	if (ipc_dial_req(&walsock, walurl, MAVPROXY_WAL_TIMEOUT_MS) < 0)
		fatalx("cannot dial %s", walurl);
	for (int i = 0; i < MAVPROXY_WORKERS; i++)
		if ((rv = nng_ctx_open(&workers[i].ctx, rep)) != 0 ||
		    (rv = nng_ctx_open(&workers[i].wal, walsock)) != 0)
			fatalx("nng ctx: %s", nng_strerror(rv));

	if (mavproxy_sandbox(endpoint.kind) < 0)
		fatalx("cannot confine mavproxy");
	/* The link's bytes and policyd's requests are read only now. */
	if (link_start() < 0)
		fatalx("cannot start the link thread");
	for (int i = 0; i < MAVPROXY_WORKERS; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main,
		                   &workers[i]) != 0)
			fatalx("pthread_create");
	if (confine_no_more_threads() < 0)
		fatalx("cannot confine mavproxy (NPROC)");
	helper_ready(ready_fd);
	log_debug("serving on %s for pid %d; link %s (%s)", url, client_pid,
	          endpoint.text, environment);
	while (sigwait(&stop, &sig) != 0)
		;
	_exit(0);
}
