/*
 * up_decode: admin frames and stream messages to requests (up_decode.h).
 */
#include <stdlib.h>
#include <string.h>

#include "upstreamd.pb-c.h"

#include "betanet/err.h"
#include "up_decode.h"

int
up_admin_decode(struct up_admin_req *r, const uint8_t *p, size_t len)
{
	Betanet__Upstreamd__UpstreamdRequest *m;
	uint32_t limit;

	memset(r, 0, sizeof(*r));
	if ((m = betanet__upstreamd__upstreamd_request__unpack(NULL, len,
	    p)) == NULL)
		return BN_ERR_MALFORMED;
	r->m = m;
	r->id = m->header != NULL ? m->header->id : 0;
	switch (m->body_case) {
	case BETANET__UPSTREAMD__UPSTREAMD_REQUEST__BODY_GET_STATUS:
		r->kind = UP_ADMIN_STATUS;
		break;
	case BETANET__UPSTREAMD__UPSTREAMD_REQUEST__BODY_RELOAD_APP:
		r->kind = UP_ADMIN_RELOAD;
		break;
	case BETANET__UPSTREAMD__UPSTREAMD_REQUEST__BODY_LIST_SESSIONS:
		r->kind = UP_ADMIN_LIST;
		limit = m->list_sessions->limit;
		r->limit = limit == 0 || limit > UP_ADMIN_LIST_MAX ?
		    UP_ADMIN_LIST_MAX : limit;
		break;
	default:
		r->kind = UP_ADMIN_UNKNOWN;
		r->err = BETANET__ERROR_CODE__ERROR_UNKNOWN_METHOD;
		r->err_text = "unknown request";
		break;
	}
	return BN_OK;
}

void
up_admin_req_clear(struct up_admin_req *r)
{
	if (r->m != NULL)
		betanet__upstreamd__upstreamd_request__free_unpacked(r->m,
		    NULL);
	memset(r, 0, sizeof(*r));
}

int
up_bridge_decode(struct up_bridge_req *r, const uint8_t *p, size_t len,
    int compat)
{
	bn_bar_request_init(&r->br, r->hdr, BN_BAR_MAX_HEADERS);
	/* compat: a CBOR map (major type 5) is BAR, else the text form. */
	if (!compat || (len > 0 && p[0] >= 0xa0 && p[0] <= 0xbf))
		return bn_bar_request_decode(p, len, &r->br);
	return bn_bar_request_parse_text(p, len, &r->br);
}

int
up_bridge_app_request(struct up_bridge_req *r)
{
	const struct bn_bar_request *br = &r->br;
	const char *m;
	size_t i, used = 0;
	int e;

	m = bn_bar_method_name(br->method);
	if (m == NULL) {
		if (br->mlen == 0 || br->mlen > BN_APP_METHOD_MAX)
			return 400;
		memcpy(r->method, br->mtext, br->mlen);
		r->method[br->mlen] = '\0';
		m = r->method;
	}
	for (i = 0; i < br->nhdr; i++) {
		if (br->hdr[i].namelen >= sizeof(r->names) - used ||
		    memchr(br->hdr[i].name, '\0', br->hdr[i].namelen))
			return 431;
		memcpy(r->names + used, br->hdr[i].name, br->hdr[i].namelen);
		r->names[used + br->hdr[i].namelen] = '\0';
		r->ah[i].name = r->names + used;
		r->ah[i].value = br->hdr[i].value;
		r->ah[i].value_len = br->hdr[i].valuelen;
		used += br->hdr[i].namelen + 1;
	}
	e = bn_app_request_init(&r->req, m, (const char *)br->url,
	    br->urllen, r->ah, br->nhdr, br->body, br->bodylen);
	if (e != BN_OK)
		return e == BN_ERR_TOO_LARGE ? 414 : 400;
	return 0;
}
