/*
 * betanet ticket: make an access ticket (WIRE.md §5) and print it in the
 * chosen carrier, ready for curl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"
#include "cli.h"

const char cmd_ticket_usage[] =
    "usage: betanet ticket (--site PREFIX | --pub HEX | --pub-file FILE)\n"
    "                      [--key-id HEX | --key-id-file FILE]\n"
    "                      [--carrier cookie|query|form] [--name NAME]\n"
    "                      [--time UNIX_SECONDS]\n"
    "\n"
    "Make a fresh access ticket for the site whose ticket public key and\n"
    "key id are given (as hex, as files, or as PREFIX.pub and PREFIX.id\n"
    "with --site) and print it for its carrier:\n"
    "  cookie  __Host-bn1=<b64url>   (--name sets the cookie name)\n"
    "  query   bn1=<b64url>\n"
    "  form    bn1=<b64url>\n"
    "The ticket is valid for the current hour (or that of --time) and the\n"
    "hours either side of it, once.  Example:\n"
    "  curl -H \"Cookie: $(betanet ticket --site site)\" http://gw:8080/\n";

static const struct option ticket_opts[] = {
	{ "site",	 required_argument,	NULL, 's' },
	{ "pub",	 required_argument,	NULL, 'p' },
	{ "pub-file",	 required_argument,	NULL, 'P' },
	{ "key-id",	 required_argument,	NULL, 'k' },
	{ "key-id-file", required_argument,	NULL, 'K' },
	{ "carrier",	 required_argument,	NULL, 'c' },
	{ "name",	 required_argument,	NULL, 'n' },
	{ "time",	 required_argument,	NULL, 't' },
	{ "help",	 no_argument,		NULL, 'h' },
	{ NULL,		 0,			NULL, 0 }
};

struct ticket_args {
	const char	*site, *pub, *pub_file, *key_id, *key_id_file;
	const char	*name;
	enum bn_ticket_carrier carrier;
	uint64_t	 now;
	int		 have_time;
};

static int
parse_carrier(const char *s, enum bn_ticket_carrier *c)
{
	if (strcmp(s, "cookie") == 0)
		*c = BN_TICKET_CARRIER_COOKIE;
	else if (strcmp(s, "query") == 0)
		*c = BN_TICKET_CARRIER_QUERY;
	else if (strcmp(s, "form") == 0)
		*c = BN_TICKET_CARRIER_FORM;
	else
		return -1;
	return 0;
}

static int
parse_time(const char *s, uint64_t *t)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*t = v;
	return 0;
}

/* Returns -1 to go on, else an exit status. */
static int
parse_args(int argc, char **argv, struct ticket_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->carrier = BN_TICKET_CARRIER_COOKIE;
	while ((c = cli_getopt(argc, argv, "s:p:P:k:K:c:n:t:h",
	    ticket_opts)) != -1) {
		switch (c) {
		case 's': a->site = optarg; break;
		case 'p': a->pub = optarg; break;
		case 'P': a->pub_file = optarg; break;
		case 'k': a->key_id = optarg; break;
		case 'K': a->key_id_file = optarg; break;
		case 'n': a->name = optarg; break;
		case 'c':
			if (parse_carrier(optarg, &a->carrier) != 0)
				return cli_usage_err(argv[0], "--carrier must "
				    "be cookie, query or form");
			break;
		case 't':
			if (parse_time(optarg, &a->now) != 0)
				return cli_usage_err(argv[0], "--time must be "
				    "unix seconds");
			a->have_time = 1;
			break;
		case 'h':
			return cli_help(argv[0]);
		default:
			return BN_CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_err(argv[0], "unexpected argument '%s'",
		    argv[optind]);
	if ((a->site != NULL) + (a->pub != NULL) + (a->pub_file != NULL) != 1)
		return cli_usage_err(argv[0], "give exactly one of --site, "
		    "--pub, --pub-file");
	if (a->site != NULL && (a->key_id != NULL || a->key_id_file != NULL))
		return cli_usage_err(argv[0], "--site already names the key "
		    "id file");
	if (a->site == NULL &&
	    (a->key_id != NULL) + (a->key_id_file != NULL) != 1)
		return cli_usage_err(argv[0], "give exactly one of --key-id, "
		    "--key-id-file");
	if (a->name != NULL && a->carrier != BN_TICKET_CARRIER_COOKIE)
		return cli_usage_err(argv[0], "--name applies to the cookie "
		    "carrier only");
	return -1;
}

/* Hex argument of exactly n bytes; 0, or a usage error reported. */
static int
hex_arg(const char *cmd, const char *opt, const char *s, uint8_t *out,
    size_t n)
{
	if (bn_hex_decode_exact(out, n, s, strlen(s)) != BN_OK) {
		cli_usage_err(cmd, "%s must be %zu hex digits", opt, 2 * n);
		return -1;
	}
	return 0;
}

/* The site's public key and key id; returns -1 to go on. */
static int
load_site(const char *cmd, const struct ticket_args *a,
    uint8_t pub[BN_KEY_LEN], uint8_t id[BN_TICKET_KEY_ID_LEN])
{
	char err[BN_KEYFILE_ERRLEN];
	int r = BN_OK;

	if ((a->pub != NULL &&
	    hex_arg(cmd, "--pub", a->pub, pub, BN_KEY_LEN) != 0) ||
	    (a->key_id != NULL && hex_arg(cmd, "--key-id", a->key_id, id,
	    BN_TICKET_KEY_ID_LEN) != 0))
		return BN_CLI_USAGE;
	if (a->site != NULL)
		r = bn_keyfile_load_ticket_pub(a->site, pub, id, err,
		    sizeof(err));
	if (r == BN_OK && a->pub_file != NULL)
		r = bn_keyfile_load_hex(a->pub_file, pub, BN_KEY_LEN, err,
		    sizeof(err));
	if (r == BN_OK && a->key_id_file != NULL)
		r = bn_keyfile_load_hex(a->key_id_file, id,
		    BN_TICKET_KEY_ID_LEN, err, sizeof(err));
	if (r != BN_OK) {
		cli_err(cmd, "%s", err);
		return BN_CLI_FAIL;
	}
	return -1;
}

int
cmd_ticket(int argc, char **argv)
{
	struct ticket_args a;
	uint8_t pub[BN_KEY_LEN], id[BN_TICKET_KEY_ID_LEN];
	uint8_t store[BN_TICKET_MADE_MAX];
	char line[512];
	struct bn_buf b;
	int r;

	if ((r = parse_args(argc, argv, &a)) != -1 ||
	    (r = load_site(argv[0], &a, pub, id)) != -1)
		return r;
	if (!a.have_time)
		a.now = (uint64_t)time(NULL);
	bn_buf_fixed(&b, store, sizeof(store));
	if ((r = bn_ticket_make(&b, pub, id, a.now)) != BN_OK) {
		cli_err(argv[0], "cannot make a ticket: %s", bn_strerror(r));
		return BN_CLI_FAIL;
	}
	r = bn_ticket_format(line, sizeof(line), a.carrier, a.name,
	    bn_buf_ptr(&b), bn_buf_len(&b));
	if (r == BN_ERR_INVALID_ARG)
		return cli_usage_err(argv[0], "--name must be a cookie name "
		    "(RFC 6265 token)");
	if (r != BN_OK) {
		cli_err(argv[0], "%s", bn_strerror(r));
		return BN_CLI_FAIL;
	}
	if (printf("%s\n", line) < 0 || fflush(stdout) != 0) {
		cli_err(argv[0], "cannot write the ticket");
		return BN_CLI_FAIL;
	}
	return BN_CLI_OK;
}
