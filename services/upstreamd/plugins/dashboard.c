/*
 * dashboard plugin: GET /dashboard, an HTML page with the figures the
 * metrics plugin keeps (the seed's server.plugins.dashboard).
 *
 * It reads them through the app's shared counters (bn_app_counter_get),
 * so it works with or without the metrics plugin (zeros without it) and
 * never links to it.  The page is the template "dashboard.html" from the
 * app's template roots when one has it (services/upstreamd/templates/
 * is the shipped one), else the built-in copy below.  Every value is a
 * number we printed, but the template escapes them anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static const char builtin_page[] =
    "<!doctype html>\n"
    "<html><head><meta charset=\"utf-8\"><title>{{ title }}</title>"
    "</head>\n<body>\n<h1>{{ title }}</h1>\n<table>\n"
    "<tr><th>requests</th><td id=\"requests\">{{ requests }}</td></tr>\n"
    "<tr><th>errors</th><td id=\"errors\">{{ errors }}</td></tr>\n"
    "<tr><th>bytes in</th><td id=\"bytes_in\">{{ bytes_in }}</td></tr>\n"
    "<tr><th>bytes out</th><td id=\"bytes_out\">{{ bytes_out }}</td></tr>\n"
    "<tr><th>avg ms</th><td id=\"ms_avg\">{{ response_ms_avg }}</td></tr>\n"
    "<tr><th>last ms</th><td id=\"ms_last\">{{ response_ms_last }}</td>"
    "</tr>\n</table>\n</body></html>\n";

static uint64_t
get(struct bn_app *app, const char *name)
{
	uint64_t v;

	(void)bn_app_counter_get(app, name, &v);
	return v;
}

static int
dashboard_get(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	char v[6][32];
	struct bn_app_var vars[7];
	uint64_t sum, cnt, avg1000;
	size_t len;
	char *page;
	int r;

	sum = get(app, "betanet_response_ms_sum");
	cnt = get(app, "betanet_response_count");
	avg1000 = cnt ? (sum * 1000u + cnt / 2) / cnt : 0;
	snprintf(v[0], 32, "%llu",
	    (unsigned long long)get(app, "betanet_requests_total"));
	snprintf(v[1], 32, "%llu",
	    (unsigned long long)get(app, "betanet_errors_total"));
	snprintf(v[2], 32, "%llu",
	    (unsigned long long)get(app, "betanet_bytes_in_total"));
	snprintf(v[3], 32, "%llu",
	    (unsigned long long)get(app, "betanet_bytes_out_total"));
	snprintf(v[4], 32, "%llu.%03llu",
	    (unsigned long long)(avg1000 / 1000),
	    (unsigned long long)(avg1000 % 1000));
	snprintf(v[5], 32, "%llu",
	    (unsigned long long)get(app, "betanet_response_ms_last"));
	vars[0] = (struct bn_app_var){ "title", "Betanet upstream" };
	vars[1] = (struct bn_app_var){ "requests", v[0] };
	vars[2] = (struct bn_app_var){ "errors", v[1] };
	vars[3] = (struct bn_app_var){ "bytes_in", v[2] };
	vars[4] = (struct bn_app_var){ "bytes_out", v[3] };
	vars[5] = (struct bn_app_var){ "response_ms_avg", v[4] };
	vars[6] = (struct bn_app_var){ "response_ms_last", v[5] };

	r = bn_app_render_template(app, "dashboard.html", vars, 7, &page,
	    &len);
	if (r == BN_APP_ERR_NOT_FOUND)
		r = bn_app_render_string(builtin_page, sizeof(builtin_page) - 1,
		    vars, 7, &page, &len);
	if (r != 0)
		return r;
	r = bn_app_html(resp, 200, page, len);
	free(page);
	if (r == 0)
		r = bn_app_response_set_header(resp, "cache-control",
		    "no-store");
	return r;
}

int
bn_plugin_register(struct bn_app *app)
{
	return bn_app_route(app, BN_APP_GET, "/dashboard", dashboard_get,
	    NULL);
}
