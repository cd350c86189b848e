/*
 * Fuzz the gateway's request path: gw_request's parser fed in pieces
 * whose sizes come from the first input byte, resumed after every pause
 * as gw_http does, and on every head the admission steps that rewrite
 * it (ticket extraction, stripping, X-Forwarded-For) and the forward
 * header list.  Invariants: the parser never consumes more than it was
 * given, every header and the target lie inside the arena, a failure
 * always carries an HTTP status.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "gw_admit.h"
#include "gw_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct gw_admit_opts	 o;
	size_t			 body;
};

static void
check_req(const struct gw_request *r)
{
	struct gw_hdr h;
	size_t i;

	if (r->target_off > r->alen || r->target_len > r->alen - r->target_off)
		abort();
	for (i = 0; i < r->nhdr; i++) {
		gw_request_hdr(r, i, &h);
		if (r->h[i].name_off > r->alen ||
		    r->h[i].name_len > r->alen - r->h[i].name_off ||
		    r->h[i].value_off > r->alen ||
		    r->h[i].value_len > r->alen - r->h[i].value_off)
			abort();
	}
}

static void
on_head(void *arg, struct gw_request *r)
{
	struct fz *f = arg;
	struct gw_admit_cand c;
	struct gw_hdr hd[GW_HDR_CAP];
	const char *why;

	check_req(r);
	(void)gw_admit_head(&f->o, r, 0, &c, &why);
	gw_admit_cand_clear(&c);
	(void)gw_admit_strip(&f->o, r);
	(void)gw_admit_forwarded(r, "2001:db8::1");
	check_req(r);
	(void)gw_request_fwd_hdrs(r, hd, GW_HDR_CAP);
}

static int
on_body(void *arg, const uint8_t *p, size_t n)
{
	struct fz *f = arg;
	char tmp[256];
	size_t k = n < sizeof(tmp) ? n : sizeof(tmp);

	memcpy(tmp, p, k);
	if (gw_admit_strip_form(tmp, k) > k)
		abort();
	f->body += n;
	return (int)(n & 1);	/* pause sometimes */
}

static void
on_end(void *arg)
{
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_limits lim;
	struct gw_parser p;
	struct fz f;
	struct gw_parser_cb cb = { on_head, on_body, on_end, &f };
	size_t off, step, used, k;
	int r, guard = 0;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 64) + 1;
	data++;
	size--;
	memset(&f, 0, sizeof(f));
	f.o.tickets = 1;
	f.o.vouchers_required = step & 1;
	gw_limits_default(&lim);
	lim.max_body = 4096;
	lim.max_headers = 16;
	lim.max_line = 512;
	lim.max_head = 2048;
	gw_parser_init(&p, &lim, &cb);
	for (off = 0; off < size && guard < 100000; guard++) {
		k = size - off < step ? size - off : step;
		r = gw_parser_feed(&p, data + off, k, &used);
		if (used > k)
			abort();
		off += used;
		if (r < 0) {
			if (gw_parser_status(&p) < 400)
				abort();
			break;
		}
		if (r == GW_PARSE_PAUSED)
			gw_parser_resume(&p);
		if (f.body > lim.max_body + 65536)
			abort();
	}
	gw_parser_clear(&p);
	return 0;
}
