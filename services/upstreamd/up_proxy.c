/*
 * up_proxy: reverse proxy of a local origin over evhttp (up_proxy.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "betanet/err.h"
#include "betanet/log.h"
#include "up_proxy.h"

struct up_proxy {
	struct event_base	*base;
	struct evhttp_connection *pool[UP_PROXY_POOL];
	size_t			 next;
	size_t			 max_body;
	char			 host[256];
	uint16_t		 port;
};

struct up_proxy_req {
	struct up_proxy		*p;
	struct evhttp_request	*req;
	up_proxy_done_fn	 done;
	void			*arg;
};

/* RFC 9110 §7.6.1: never forwarded. */
static int
hop_by_hop(const char *name)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "proxy-connection", "te", "trailer", "transfer-encoding",
	    "upgrade", "content-length", "host", NULL };
	size_t i;

	for (i = 0; hop[i] != NULL; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

/* RFC 9110 §5.6.2 token character. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * What we write to the origin must not be able to end a line early:
 * libevent copies the uri and header fields into the request as they
 * are, so a CR or LF in them would start a second, smuggled request.
 * uri: visible ASCII only (bn_app_request_init checked it already; this
 * is the last place that can).  Header name: a token.  Header value: no
 * control byte but HTAB (RFC 9110 §5.5), i.e. no CR, LF or NUL.
 */
static int
uri_ok(const char *uri)
{
	if (*uri != '/')
		return 0;
	for (; *uri != '\0'; uri++)
		if ((unsigned char)*uri <= 0x20 || (unsigned char)*uri >= 0x7f)
			return 0;
	return 1;
}

static int
header_ok(const struct bn_app_header *h)
{
	const char *n;
	size_t i;

	if (h->name[0] == '\0')
		return 0;
	for (n = h->name; *n != '\0'; n++)
		if (!is_tchar((unsigned char)*n))
			return 0;
	for (i = 0; i < h->value_len; i++)
		if ((h->value[i] < 0x20 && h->value[i] != '\t') ||
		    h->value[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_origin(const char *url, char *host, size_t hostlen, uint16_t *port)
{
	const char *h, *colon;
	char *end;
	unsigned long v;

	if (strncmp(url, "http://", 7) != 0)
		return BN_ERR_INVALID_ARG;
	h = url + 7;
	if ((colon = strrchr(h, ':')) == NULL || colon == h ||
	    (size_t)(colon - h) >= hostlen)
		return BN_ERR_INVALID_ARG;
	v = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || (*end != '\0' && strcmp(end, "/") != 0) ||
	    v == 0 || v > 65535)
		return BN_ERR_INVALID_ARG;
	memcpy(host, h, (size_t)(colon - h));
	host[colon - h] = '\0';
	*port = (uint16_t)v;
	return BN_OK;
}

struct up_proxy *
up_proxy_new(struct event_base *base, const char *origin, size_t max_body,
    uint64_t timeout_ms, char *errbuf, size_t errlen)
{
	struct up_proxy *p;
	struct timeval tv;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	p->base = base;
	p->max_body = max_body;
	if (parse_origin(origin, p->host, sizeof(p->host), &p->port) !=
	    BN_OK) {
		snprintf(errbuf, errlen, "upstreamd.origin: must be "
		    "http://HOST:PORT");
		free(p);
		return NULL;
	}
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	for (i = 0; i < UP_PROXY_POOL; i++) {
		p->pool[i] = evhttp_connection_base_new(base, NULL, p->host,
		    p->port);
		if (p->pool[i] == NULL) {
			snprintf(errbuf, errlen, "origin: cannot make a "
			    "connection to %s:%u", p->host, p->port);
			up_proxy_free(p);
			return NULL;
		}
		evhttp_connection_set_max_body_size(p->pool[i],
		    (ev_ssize_t)max_body);
		evhttp_connection_set_max_headers_size(p->pool[i],
		    UP_PROXY_MAX_HEADERS);
		evhttp_connection_set_timeout_tv(p->pool[i], &tv);
		evhttp_connection_set_retries(p->pool[i], 1);
	}
	return p;
}

void
up_proxy_free(struct up_proxy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < UP_PROXY_POOL; i++)
		if (p->pool[i] != NULL)
			evhttp_connection_free(p->pool[i]);
	free(p);
}

static void
fill_response(struct evhttp_request *r, struct bn_app_response *resp)
{
	struct evkeyvalq *h;
	struct evkeyval *kv;
	struct evbuffer *in;
	char name[256];
	size_t i, len;

	bn_app_response_init(resp);
	if (r == NULL || evhttp_request_get_response_code(r) == 0) {
		(void)bn_app_error(resp, 502, "origin unreachable");
		return;
	}
	resp->status = evhttp_request_get_response_code(r);
	if (resp->status < 100 || resp->status > 599)
		resp->status = 502;
	h = evhttp_request_get_input_headers(r);
	for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		len = strlen(kv->key);
		if (len == 0 || len >= sizeof(name) || hop_by_hop(kv->key))
			continue;
		for (i = 0; i <= len; i++)
			name[i] = (char)((kv->key[i] >= 'A' &&
			    kv->key[i] <= 'Z') ? kv->key[i] + 32 : kv->key[i]);
		(void)bn_app_response_add_header(resp, name, kv->value);
	}
	in = evhttp_request_get_input_buffer(r);
	len = evbuffer_get_length(in);
	if (len > 0 && (resp->body = malloc(len)) != NULL) {
		evbuffer_remove(in, resp->body, len);
		resp->body_len = len;
	} else if (len > 0) {
		bn_app_response_reset(resp);
		(void)bn_app_error(resp, 502, "out of memory");
	}
}

static void
on_response(struct evhttp_request *r, void *arg)
{
	struct up_proxy_req *pr = arg;
	struct bn_app_response resp;

	fill_response(r, &resp);
	if (resp.status == 502 && r == NULL)
		bn_log_event(BN_LOG_WARN, "origin_error", "host=%s port=%u",
		    pr->p->host, pr->p->port);
	pr->done(pr->arg, &resp);
	bn_app_response_reset(&resp);
	free(pr);
}

static enum evhttp_cmd_type
method_cmd(enum bn_app_method m, int *ok)
{
	*ok = 1;
	switch (m) {
	case BN_APP_GET:	return EVHTTP_REQ_GET;
	case BN_APP_HEAD:	return EVHTTP_REQ_HEAD;
	case BN_APP_POST:	return EVHTTP_REQ_POST;
	case BN_APP_PUT:	return EVHTTP_REQ_PUT;
	case BN_APP_DELETE:	return EVHTTP_REQ_DELETE;
	case BN_APP_PATCH:	return EVHTTP_REQ_PATCH;
	case BN_APP_OPTIONS:	return EVHTTP_REQ_OPTIONS;
	default:
		*ok = 0;
		return EVHTTP_REQ_GET;
	}
}

struct up_proxy_req *
up_proxy_send(struct up_proxy *p, const struct bn_app_request *req,
    up_proxy_done_fn done, void *arg)
{
	struct up_proxy_req *pr;
	struct evkeyvalq *oh;
	char uri[BN_APP_PATH_MAX + BN_APP_QUERY_MAX + 2], hostport[300];
	char q[BN_LOG_VALUE_MAX];
	char *val;
	size_t i;
	int ok;
	enum evhttp_cmd_type cmd = method_cmd(req->method, &ok);

	if (!ok || memchr(req->path, '\0', req->path_len) != NULL ||
	    memchr(req->query, '\0', req->query_len) != NULL)
		return NULL;
	snprintf(uri, sizeof(uri), "%s%s%s", req->path,
	    req->query_len ? "?" : "", req->query);
	if (!uri_ok(uri)) {
		bn_log_event(BN_LOG_INFO, "proxy_refused", "reason=bad_target "
		    "target=%s", bn_log_qstr(q, sizeof(q), uri));
		return NULL;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return NULL;
	pr->p = p;
	pr->done = done;
	pr->arg = arg;
	if ((pr->req = evhttp_request_new(on_response, pr)) == NULL)
		goto fail;
	oh = evhttp_request_get_output_headers(pr->req);
	snprintf(hostport, sizeof(hostport), "%s:%u", p->host, p->port);
	evhttp_add_header(oh, "Host", hostport);
	for (i = 0; i < req->nheaders; i++) {
		if (hop_by_hop(req->headers[i].name))
			continue;
		if (!header_ok(&req->headers[i])) {
			bn_log_event(BN_LOG_INFO, "proxy_header_dropped",
			    "name=%s", bn_log_qstr(q, sizeof(q),
			    req->headers[i].name));
			continue;
		}
		if ((val = strndup((const char *)req->headers[i].value,
		    req->headers[i].value_len)) == NULL)
			continue;
		(void)evhttp_add_header(oh, req->headers[i].name, val);
		free(val);
	}
	if (req->body_len > 0 && evbuffer_add(
	    evhttp_request_get_output_buffer(pr->req), req->body,
	    req->body_len) != 0)
		goto fail;
	if (evhttp_make_request(p->pool[p->next], pr->req, cmd, uri) != 0) {
		pr->req = NULL;		/* freed by evhttp on failure */
		goto fail;
	}
	p->next = (p->next + 1) % UP_PROXY_POOL;
	return pr;
 fail:
	if (pr->req != NULL)
		evhttp_request_free(pr->req);
	free(pr);
	return NULL;
}

void
up_proxy_cancel(struct up_proxy_req *pr)
{
	if (pr == NULL)
		return;
	evhttp_cancel_request(pr->req);
	free(pr);
}
