/*
 * betanet ticketd: ask a running ticketd over its Unix socket
 * (proto/ticketd.proto, WIRE.md §10): verify a ticket or a voucher, show
 * its counters or public keys, rotate its keys.  One request, one
 * blocking round trip with a deadline; no libevent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/ticket.h"
#include "betanet/voucher.h"
#include "cli.h"
#include "ticketd.pb-c.h"

#define TD_DEFAULT_SOCKET	"/run/betanet/ticketd.sock"
#define TD_TIMEOUT_MS		10000

const char cmd_ticketd_usage[] =
    "usage: betanet ticketd verify [--socket PATH] --ticket B64 [--ip IP]\n"
    "       betanet ticketd voucher [--socket PATH] --voucher TEXT "
    "[--peer PEER]\n"
    "       betanet ticketd stats|keys|rotate [--socket PATH]\n"
    "\n"
    "Talk to a running ticketd (default socket " TD_DEFAULT_SOCKET ").\n"
    "  verify   submit a ticket (b64url payload, or a carrier such as\n"
    "           bn1=... or __Host-bn1=... as `betanet ticket` prints it);\n"
    "           prints `ok key_id=... hour=...` or `refused reason=...`\n"
    "  voucher  submit a voucher (b64url or 256 hex digits)\n"
    "  stats    counters per reason, store and bucket sizes\n"
    "  keys     the public keys and key ids (never private keys)\n"
    "  rotate   make a new current key; the old one stays valid\n"
    "Exit status: 0 accepted / done, 1 refused, 2 usage or connection\n"
    "error.\n";

static const struct option td_opts[] = {
	{ "socket",	required_argument,	NULL, 's' },
	{ "ticket",	required_argument,	NULL, 't' },
	{ "voucher",	required_argument,	NULL, 'v' },
	{ "ip",		required_argument,	NULL, 'i' },
	{ "peer",	required_argument,	NULL, 'p' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

struct td_args {
	const char	*sub, *socket, *ticket, *voucher, *ip, *peer;
};

/* One request, one response; the caller frees *resp. */
static int
roundtrip(const char *cmd, const char *path,
    Betanet__Ticketd__TicketdRequest *req,
    Betanet__Ticketd__TicketdResponse **resp)
{
	ProtobufCMessage *m;

	*resp = NULL;
	if (cli_ipc_call(cmd, path, &req->base,
	    &betanet__ticketd__ticketd_response__descriptor, &m,
	    TD_TIMEOUT_MS) != 0)
		return BN_CLI_USAGE;	/* a connection error: exit 2 */
	*resp = (Betanet__Ticketd__TicketdResponse *)m;
	if ((*resp)->error != NULL && (*resp)->error->code != 0) {
		cli_err(cmd, "ticketd: %s", (*resp)->error->text);
		betanet__ticketd__ticketd_response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return BN_CLI_USAGE;
	}
	return BN_CLI_OK;
}

static const char *
reason_name(int reason, char *out, size_t outlen)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &betanet__ticketd__reason__descriptor, reason);
	size_t i;

	snprintf(out, outlen, "%s", v != NULL ? v->name : "unknown");
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

/* A bare b64url payload, or NAME=b64url as `betanet ticket` prints. */
static int
decode_ticket(const char *s, uint8_t *out, size_t *outlen)
{
	const char *eq = strchr(s, '=');

	if (eq != NULL && eq[1] != '\0' && eq[1] != '=')
		s = eq + 1;
	return bn_b64url_decode(out, BN_TICKET_MAX_LEN, outlen, s, strlen(s));
}

static int
do_verify(const struct td_args *a)
{
	Betanet__Ticketd__TicketdRequest req =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyTicket vt = BETANET__TICKETD__VERIFY_TICKET__INIT;
	Betanet__Ticketd__TicketdResponse *resp;
	uint8_t payload[BN_TICKET_MAX_LEN];
	char name[32], id[bn_hex_enc_len(BN_TICKET_KEY_ID_LEN)];
	size_t len;
	int r;

	if (a->ticket == NULL)
		return cli_usage_err("ticketd", "verify needs --ticket");
	if (decode_ticket(a->ticket, payload, &len) != BN_OK)
		return cli_usage_err("ticketd", "--ticket: not b64url");
	hdr.id = 1;
	vt.payload.data = payload;
	vt.payload.len = len;
	vt.client_ip = (char *)(a->ip != NULL ? a->ip : "");
	req.header = &hdr;
	req.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET;
	req.verify_ticket = &vt;
	if ((r = roundtrip("ticketd", a->socket, &req, &resp)) != BN_CLI_OK)
		return r;
	if (resp->body_case !=
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET) {
		cli_err("ticketd", "unexpected answer");
		r = BN_CLI_USAGE;
	} else {
		Betanet__Ticketd__TicketVerdict *v = resp->ticket;

		id[0] = '\0';
		if (v->key_id.len == BN_TICKET_KEY_ID_LEN)
			bn_hex_encode(id, v->key_id.data, v->key_id.len);
		if (v->reason == BETANET__TICKETD__REASON__OK)
			printf("ok key_id=%s hour=%llu\n", id,
			    (unsigned long long)v->hour);
		else
			printf("refused reason=%s key_id=%s\n",
			    reason_name(v->reason, name, sizeof(name)),
			    id[0] ? id : "-");
		r = v->reason == BETANET__TICKETD__REASON__OK ? BN_CLI_OK :
		    BN_CLI_FAIL;
	}
	betanet__ticketd__ticketd_response__free_unpacked(resp, NULL);
	return r;
}

static int
do_voucher(const struct td_args *a)
{
	Betanet__Ticketd__TicketdRequest req =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyVoucher vv =
	    BETANET__TICKETD__VERIFY_VOUCHER__INIT;
	Betanet__Ticketd__TicketdResponse *resp;
	struct bn_voucher v;
	uint8_t raw[BN_VOUCHER_LEN];
	char name[32];
	int r;

	if (a->voucher == NULL)
		return cli_usage_err("ticketd", "voucher needs --voucher");
	if (bn_voucher_parse_header(&v, a->voucher, strlen(a->voucher)) !=
	    BN_OK)
		return cli_usage_err("ticketd", "--voucher: not a voucher");
	bn_voucher_encode(raw, &v);
	bn_voucher_clear(&v);
	hdr.id = 1;
	vv.voucher.data = raw;
	vv.voucher.len = sizeof(raw);
	vv.peer = (char *)(a->peer != NULL ? a->peer : "");
	req.header = &hdr;
	req.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER;
	req.verify_voucher = &vv;
	r = roundtrip("ticketd", a->socket, &req, &resp);
	bn_cleanse(raw, sizeof(raw));
	if (r != BN_CLI_OK)
		return r;
	if (resp->body_case !=
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_VOUCHER) {
		cli_err("ticketd", "unexpected answer");
		r = BN_CLI_USAGE;
	} else {
		if (resp->voucher->reason == BETANET__TICKETD__REASON__OK)
			printf("ok\n");
		else
			printf("refused reason=%s\n", reason_name(
			    resp->voucher->reason, name, sizeof(name)));
		r = resp->voucher->reason == BETANET__TICKETD__REASON__OK ?
		    BN_CLI_OK : BN_CLI_FAIL;
	}
	betanet__ticketd__ticketd_response__free_unpacked(resp, NULL);
	return r;
}

static void
print_keys(const Betanet__Ticketd__Keys *k)
{
	char id[bn_hex_enc_len(BN_TICKET_KEY_ID_LEN)];
	char pub[bn_hex_enc_len(32)];
	size_t i;

	for (i = 0; i < k->n_keys; i++) {
		const Betanet__Ticketd__SiteKey *s = k->keys[i];

		if (s->key_id.len != BN_TICKET_KEY_ID_LEN ||
		    s->public_key.len != 32)
			continue;
		bn_hex_encode(id, s->key_id.data, s->key_id.len);
		bn_hex_encode(pub, s->public_key.data, s->public_key.len);
		printf("key_id=%s pub=%s %s\n", id, pub,
		    s->current ? "current" : "previous");
	}
}

static void
print_stats(const Betanet__Ticketd__Stats *st)
{
	char name[32];
	size_t i;

	printf("backend=%s replay_entries=%llu replay_capacity=%llu "
	    "spent_vouchers=%llu buckets_in_use=%llu replay_commits=%llu "
	    "replay_records=%llu key_rotations=%llu inflight=%llu "
	    "workers=%u\n", st->replay_backend,
	    (unsigned long long)st->replay_entries,
	    (unsigned long long)st->replay_capacity,
	    (unsigned long long)st->spent_vouchers,
	    (unsigned long long)st->buckets_in_use,
	    (unsigned long long)st->replay_commits,
	    (unsigned long long)st->replay_records,
	    (unsigned long long)st->key_rotations,
	    (unsigned long long)st->inflight, st->workers);
	for (i = 0; i < st->n_tickets; i++)
		printf("tickets reason=%s count=%llu\n", reason_name(
		    st->tickets[i]->reason, name, sizeof(name)),
		    (unsigned long long)st->tickets[i]->count);
	for (i = 0; i < st->n_vouchers; i++)
		printf("vouchers reason=%s count=%llu\n", reason_name(
		    st->vouchers[i]->reason, name, sizeof(name)),
		    (unsigned long long)st->vouchers[i]->count);
}

static int
do_admin(const struct td_args *a)
{
	Betanet__Ticketd__TicketdRequest req =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__GetKeys gk = BETANET__TICKETD__GET_KEYS__INIT;
	Betanet__Ticketd__RotateKeys rk = BETANET__TICKETD__ROTATE_KEYS__INIT;
	Betanet__Ticketd__GetStats gs = BETANET__TICKETD__GET_STATS__INIT;
	Betanet__Ticketd__TicketdResponse *resp;
	int r;

	hdr.id = 1;
	req.header = &hdr;
	if (strcmp(a->sub, "keys") == 0) {
		req.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_KEYS;
		req.get_keys = &gk;
	} else if (strcmp(a->sub, "rotate") == 0) {
		req.body_case =
		    BETANET__TICKETD__TICKETD_REQUEST__BODY_ROTATE_KEYS;
		req.rotate_keys = &rk;
	} else {
		req.body_case =
		    BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_STATS;
		req.get_stats = &gs;
	}
	if ((r = roundtrip("ticketd", a->socket, &req, &resp)) != BN_CLI_OK)
		return r;
	if (resp->body_case == BETANET__TICKETD__TICKETD_RESPONSE__BODY_KEYS)
		print_keys(resp->keys);
	else if (resp->body_case ==
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_STATS)
		print_stats(resp->stats);
	else {
		cli_err("ticketd", "unexpected answer");
		r = BN_CLI_USAGE;
	}
	betanet__ticketd__ticketd_response__free_unpacked(resp, NULL);
	return r;
}

int
cmd_ticketd(int argc, char **argv)
{
	struct td_args a;
	int c;

	memset(&a, 0, sizeof(a));
	a.socket = TD_DEFAULT_SOCKET;
	if (argc < 2)
		return cli_usage_err(argv[0], "needs a subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(argv[0]);
	a.sub = argv[1];
	if (strcmp(a.sub, "verify") != 0 && strcmp(a.sub, "voucher") != 0 &&
	    strcmp(a.sub, "stats") != 0 && strcmp(a.sub, "keys") != 0 &&
	    strcmp(a.sub, "rotate") != 0)
		return cli_usage_err(argv[0], "unknown subcommand '%s'",
		    a.sub);
	/* getopt sees argv[1..] as "ticketd verify --opt ...": skip sub. */
	argv[1] = argv[0];
	argc--;
	argv++;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", td_opts)) != -1) {
		switch (c) {
		case 's': a.socket = optarg; break;
		case 't': a.ticket = optarg; break;
		case 'v': a.voucher = optarg; break;
		case 'i': a.ip = optarg; break;
		case 'p': a.peer = optarg; break;
		case 'h': return cli_help("ticketd");
		default: return BN_CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_err("ticketd", "unexpected argument '%s'",
		    argv[optind]);
	if (strcmp(a.sub, "verify") == 0)
		return do_verify(&a);
	if (strcmp(a.sub, "voucher") == 0)
		return do_voucher(&a);
	return do_admin(&a);
}
