/*
 * up_server: shared state and life cycle (up_server.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/log.h"
#include "app.h"
#include "up_conn.h"
#include "up_listener.h"
#include "up_proxy.h"
#include "up_server.h"

#define UP_PROXY_TIMEOUT_MS	30000

uint64_t
up_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Framework 404 (no route, no file): the bridge hands it to the origin. */
static int
mark_unrouted(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, int status, void *arg)
{
	return bn_app_response_set_header(resp, "x-upstreamd-unrouted", "1");
}

static int
add_statics(struct bn_app *app, const struct up_config *cfg, char *errbuf,
    size_t errlen)
{
	char prefix[256];
	const char *s, *eq;
	size_t i;
	int r;

	for (i = 0; i < cfg->statics.n; i++) {
		s = cfg->statics.v[i];
		eq = strchr(s, '=');
		if ((size_t)(eq - s) >= sizeof(prefix)) {
			snprintf(errbuf, errlen, "upstreamd.static[%zu]: prefix "
			    "too long", i);
			return BN_ERR_CONFIG;
		}
		memcpy(prefix, s, (size_t)(eq - s));
		prefix[eq - s] = '\0';
		if ((r = bn_app_add_static(app, prefix, eq + 1, NULL)) !=
		    BN_OK) {
			snprintf(errbuf, errlen, "upstreamd.static[%zu]: %s: %s",
			    i, eq + 1, bn_strerror(r));
			return BN_ERR_CONFIG;
		}
	}
	return BN_OK;
}

int
up_server_build_app(const struct up_config *cfg, struct bn_app **out,
    char *errbuf, size_t errlen)
{
	struct bn_app *app;
	size_t i;
	int r;

	*out = NULL;
	if ((app = bn_app_new()) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return BN_ERR_ALLOC;
	}
	if ((r = bn_app_add_builtin_routes(app, cfg->app_echo)) != BN_OK) {
		snprintf(errbuf, errlen, "builtin routes: %s", bn_strerror(r));
		goto fail;
	}
	if (cfg->origin != NULL &&
	    (r = bn_app_error_handler(app, 404, mark_unrouted, NULL)) !=
	    BN_OK) {
		snprintf(errbuf, errlen, "origin: %s", bn_strerror(r));
		goto fail;
	}
	for (i = 0; i < cfg->templates.n; i++) {
		if ((r = bn_app_add_template_root(app, cfg->templates.v[i])) !=
		    BN_OK) {
			snprintf(errbuf, errlen, "upstreamd.templates[%zu]: %s: "
			    "%s", i, cfg->templates.v[i], bn_strerror(r));
			r = BN_ERR_CONFIG;
			goto fail;
		}
	}
	if ((r = add_statics(app, cfg, errbuf, errlen)) != BN_OK)
		goto fail;
	for (i = 0; i < cfg->plugins.n; i++)
		if ((r = bn_app_load_plugin(app, cfg->plugins.v[i], errbuf,
		    errlen)) != BN_OK) {
			r = BN_ERR_CONFIG;
			goto fail;
		}
	if (cfg->plugin_dir != NULL && (r = bn_app_load_plugin_dir(app,
	    cfg->plugin_dir, errbuf, errlen)) != BN_OK) {
		r = BN_ERR_CONFIG;
		goto fail;
	}
	*out = app;
	return BN_OK;
 fail:
	bn_app_free(app);
	return r;
}

void
up_server_htx_config(const struct up_server *srv, int legacy,
    struct bn_htx_config *hc)
{
	const struct up_config *cfg = srv->cfg;

	bn_htx_config_default(hc);
	hc->role = BN_HTX_SERVER;
	memcpy(hc->static_priv, srv->node_priv, BN_KEY_LEN);
	memcpy(hc->static_pub, srv->node_pub, BN_KEY_LEN);
	hc->has_static_pub = 1;
	/* A legacy listener is itself the operator's opt-in to weak keys. */
	hc->allow_compat = cfg->allow_compat || legacy;
	hc->legacy11 = legacy;
	hc->max_streams = (uint32_t)cfg->max_streams;
	hc->max_message = (size_t)cfg->max_message;
	hc->handshake_timeout_ms = cfg->handshake_timeout;
	hc->idle_timeout_ms = cfg->idle_timeout;
}

static int
load_key(struct up_server *srv, const char *path, char *errbuf,
    size_t errlen)
{
	char e[BN_KEYFILE_ERRLEN];
	int r;

	if ((r = bn_keyfile_load_private(path, srv->node_priv, e,
	    sizeof(e))) != BN_OK) {
		snprintf(errbuf, errlen, "key: %s", e);
		return BN_ERR_CONFIG;
	}
	if ((r = bn_x25519_public(srv->node_pub, srv->node_priv)) != BN_OK) {
		snprintf(errbuf, errlen, "key: %s: not a usable X25519 key",
		    path);
		return BN_ERR_CONFIG;
	}
	bn_hex_encode(srv->node_pub_hex, srv->node_pub, BN_KEY_LEN);
	return BN_OK;
}

int
up_server_start(struct up_server *srv, struct event_base *base,
    struct up_config *cfg, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	size_t i;
	int r;

	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	srv->cfg = cfg;
	srv->argc = argc;
	srv->argv = argv;
	srv->start_ms = up_now_ms();
	if ((r = load_key(srv, cfg->key, errbuf, errlen)) != BN_OK ||
	    (r = up_server_build_app(cfg, &srv->app, errbuf, errlen)) !=
	    BN_OK)
		return r;
	if (cfg->ngateways == 0)
		bn_log_event(BN_LOG_WARN, "allow_any_gateway", "note=\"any "
		    "peer holding the node key may open sessions, bypassing "
		    "the gateway and its tickets\"");
	if (cfg->origin != NULL && (srv->proxy = up_proxy_new(base,
	    cfg->origin, (size_t)cfg->max_message, UP_PROXY_TIMEOUT_MS,
	    errbuf, errlen)) == NULL)
		return BN_ERR_CONFIG;
	for (i = 0; i < cfg->listen.n; i++)
		if ((r = up_listener_add(srv, cfg->listen.v[i], 0, errbuf,
		    errlen)) != BN_OK)
			return r;
	for (i = 0; i < cfg->listen_legacy.n; i++)
		if ((r = up_listener_add(srv, cfg->listen_legacy.v[i], 1,
		    errbuf, errlen)) != BN_OK)
			return r;
	return BN_OK;
}

/*
 * Only the app's keys change on reload: templates, static, plugins,
 * app.echo, origin stay as the listeners and limits do.  A new config
 * that fails any check leaves the running app untouched.
 */
int
up_server_reload(struct up_server *srv, char *errbuf, size_t errlen)
{
	struct up_config *nc;
	struct bn_app *app = NULL;
	char q[BN_LOG_VALUE_MAX];
	int r;

	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return BN_ERR_ALLOC;
	}
	if ((r = up_config_load(nc, srv->argc, srv->argv, errbuf, errlen)) !=
	    BN_OK || (r = up_server_build_app(nc, &app, errbuf, errlen)) !=
	    BN_OK) {
		if (r == 1)
			r = BN_ERR_CONFIG;
		bn_log_event(BN_LOG_WARN, "reload_fail", "error=%s",
		    bn_log_qstr(q, sizeof(q), errbuf));
		up_config_free(nc);
		free(nc);
		return r;
	}
	up_config_free(nc);
	free(nc);
	bn_app_free(srv->app);
	srv->app = app;
	bn_log_event(BN_LOG_INFO, "reload", "sessions=%zu", srv->nconns);
	return BN_OK;
}

static void
drain_finish(struct up_server *srv)
{
	void (*done)(void *) = srv->on_drained;

	if (done == NULL)
		return;
	srv->on_drained = NULL;
	done(srv->drained_arg);
}

static void
drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct up_server *srv = arg;

	bn_log_event(BN_LOG_WARN, "drain_timeout", "sessions=%zu",
	    srv->nconns);
	while (srv->conns != NULL)
		up_conn_free(srv->conns, "drain_timeout");
	drain_finish(srv);
}

void
up_server_drain(struct up_server *srv, void (*done)(void *), void *arg)
{
	struct up_conn *c, *next;
	struct timeval tv;

	if (srv->draining)
		return;
	srv->draining = 1;
	srv->on_drained = done;
	srv->drained_arg = arg;
	up_listener_disable_all(srv);
	bn_log_event(BN_LOG_INFO, "drain", "sessions=%zu timeout_ms=%llu",
	    srv->nconns, (unsigned long long)srv->cfg->drain_timeout);
	tv.tv_sec = (time_t)(srv->cfg->drain_timeout / 1000);
	tv.tv_usec = (suseconds_t)(srv->cfg->drain_timeout % 1000) * 1000;
	if ((srv->drain_timer = evtimer_new(srv->base, drain_timeout_cb,
	    srv)) != NULL)
		evtimer_add(srv->drain_timer, &tv);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		up_conn_drain(c);	/* may free c */
	}
	if (srv->nconns == 0)
		drain_finish(srv);
}

void
up_server_conn_gone(struct up_server *srv)
{
	if (srv->draining && srv->nconns == 0)
		drain_finish(srv);
}

void
up_server_stop(struct up_server *srv)
{
	while (srv->conns != NULL)
		up_conn_free(srv->conns, "stop");
	up_listener_free_all(srv);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	srv->drain_timer = NULL;
	up_proxy_free(srv->proxy);
	srv->proxy = NULL;
	bn_app_free(srv->app);
	srv->app = NULL;
	bn_cleanse(srv->node_priv, sizeof(srv->node_priv));
}
