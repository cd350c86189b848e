/*
 * metrics plugin: request counters and response times as Prometheus text
 * at GET /metrics (the seed's server.plugins.metrics).
 *
 * A before hook counts each request and its body bytes; an after hook
 * counts errors, body bytes out and the time since dispatch began
 * (req->start_ms, both readings from bn_app_now_ms()).  The figures live
 * in the app's shared counters so other plugins (dashboard) can read
 * them without linking to this one:
 *
 *   betanet_requests_total     every request, /metrics included
 *   betanet_errors_total       answers with status >= 500 (server
 *                              faults; 4xx are the client's, as in our
 *                              logging convention)
 *   betanet_bytes_in_total     request body bytes
 *   betanet_bytes_out_total    response body (or file) bytes; 0 for HEAD
 *   betanet_response_ms_sum, betanet_response_count
 *                              for betanet_response_ms_avg = sum / count
 *   betanet_response_ms_last   the latest response time
 *
 * A /metrics answer includes its own request in requests_total (the
 * before hook has run) but not its own time (the after hook has not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static uint64_t
get(struct bn_app *app, const char *name)
{
	uint64_t v;

	(void)bn_app_counter_get(app, name, &v);
	return v;
}

static int
metrics_before(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	int r;

	if ((r = bn_app_counter_add(app, "betanet_requests_total", 1)) != 0 ||
	    (r = bn_app_counter_add(app, "betanet_bytes_in_total",
	    req->body_len)) != 0)
		return r;
	return BN_APP_CONTINUE;
}

static int
metrics_after(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	uint64_t now = bn_app_now_ms(app), ms, out;
	int r;

	ms = now >= req->start_ms ? now - req->start_ms : 0;
	out = resp->file_fd >= 0 ? resp->file_len : resp->body_len;
	if (req->method == BN_APP_HEAD)
		out = 0;
	if ((resp->status >= 500 && (r = bn_app_counter_add(app,
	    "betanet_errors_total", 1)) != 0) ||
	    (r = bn_app_counter_add(app, "betanet_bytes_out_total",
	    out)) != 0 ||
	    (r = bn_app_counter_add(app, "betanet_response_ms_sum",
	    ms)) != 0 ||
	    (r = bn_app_counter_add(app, "betanet_response_count", 1)) != 0 ||
	    (r = bn_app_counter_set(app, "betanet_response_ms_last", ms)) != 0)
		return r;
	return 0;
}

static int
emit(char *out, size_t cap, size_t *len, const char *name, const char *type,
    const char *help, const char *value)
{
	int n;

	n = snprintf(out + *len, cap - *len,
	    "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, type,
	    name, value);
	if (n < 0 || (size_t)n >= cap - *len)
		return BN_APP_ERR_TOO_LARGE;
	*len += (size_t)n;
	return 0;
}

static int
metrics_get(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	static const struct {
		const char *name, *help;
	} totals[] = {
		{ "betanet_requests_total", "Requests handled." },
		{ "betanet_errors_total", "Responses with status >= 500." },
		{ "betanet_bytes_in_total", "Request body bytes received." },
		{ "betanet_bytes_out_total", "Response body bytes sent." },
	};
	char out[2048], v[32];
	uint64_t sum, cnt, avg1000;
	size_t len = 0, i;
	int r;

	out[0] = '\0';
	for (i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)get(app, totals[i].name));
		if ((r = emit(out, sizeof(out), &len, totals[i].name,
		    "counter", totals[i].help, v)) != 0)
			return r;
	}
	sum = get(app, "betanet_response_ms_sum");
	cnt = get(app, "betanet_response_count");
	avg1000 = cnt ? (sum * 1000u + cnt / 2) / cnt : 0;
	snprintf(v, sizeof(v), "%llu.%03llu",
	    (unsigned long long)(avg1000 / 1000),
	    (unsigned long long)(avg1000 % 1000));
	if ((r = emit(out, sizeof(out), &len, "betanet_response_ms_avg",
	    "gauge", "Mean response time in milliseconds.", v)) != 0)
		return r;
	snprintf(v, sizeof(v), "%llu",
	    (unsigned long long)get(app, "betanet_response_ms_last"));
	if ((r = emit(out, sizeof(out), &len, "betanet_response_ms_last",
	    "gauge", "Latest response time in milliseconds.", v)) != 0)
		return r;
	if ((r = bn_app_text(resp, 200, out)) != 0)
		return r;
	return bn_app_response_set_header(resp, "content-type",
	    "text/plain; version=0.0.4; charset=utf-8");
}

int
bn_plugin_register(struct bn_app *app)
{
	static const char *const names[] = {
		"betanet_requests_total", "betanet_errors_total",
		"betanet_bytes_in_total", "betanet_bytes_out_total",
		"betanet_response_ms_sum", "betanet_response_count",
		"betanet_response_ms_last",
	};
	size_t i;
	int r;

	/* Create every counter now so the dashboard sees zeros, not gaps. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((r = bn_app_counter_add(app, names[i], 0)) != 0)
			return r;
	if ((r = bn_app_before(app, metrics_before, NULL)) != 0 ||
	    (r = bn_app_after(app, metrics_after, NULL)) != 0 ||
	    (r = bn_app_route(app, BN_APP_GET, "/metrics", metrics_get,
	    NULL)) != 0)
		return r;
	return 0;
}
