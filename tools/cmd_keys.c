/*
 * betanet keygen, betanet ticket-keygen: write key files (keyfile.h).
 */
#include <stdio.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"
#include "cli.h"

const char cmd_keygen_usage[] =
    "usage: betanet keygen --out PREFIX [--force]\n"
    "\n"
    "Make an X25519 key pair: PREFIX.key (private, 64 hex digits, mode\n"
    "0600) and PREFIX.pub (public, mode 0644), written atomically.  Prints\n"
    "pub=<hex>.  Existing files are kept unless --force is given.\n"
    "Used for gateway (--key) and upstream node keys.\n";

const char cmd_ticket_keygen_usage[] =
    "usage: betanet ticket-keygen --out PREFIX [--force]\n"
    "\n"
    "Make an access-ticket site key: PREFIX.key (private, mode 0600),\n"
    "PREFIX.pub and PREFIX.id (8-byte key id, 16 hex digits).  Prints\n"
    "ticket_pub=<hex> and ticket_key_id=<hex>.  ticketd loads PREFIX.key\n"
    "and PREFIX.id; clients need PREFIX.pub and PREFIX.id (see\n"
    "'betanet help ticket').\n";

static const struct option keygen_opts[] = {
	{ "out",	required_argument,	NULL, 'o' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

/* Shared option parsing; returns -1 to go on, else an exit status. */
static int
parse_keygen(int argc, char **argv, const char **out, int *flags)
{
	int c;

	*out = NULL;
	*flags = 0;
	while ((c = cli_getopt(argc, argv, "o:fh", keygen_opts)) != -1) {
		switch (c) {
		case 'o':
			*out = optarg;
			break;
		case 'f':
			*flags |= BN_KEYFILE_F_FORCE;
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
	if (*out == NULL || **out == '\0')
		return cli_usage_err(argv[0], "--out PREFIX is required");
	return -1;
}

int
cmd_keygen(int argc, char **argv)
{
	uint8_t pub[BN_KEY_LEN];
	char err[BN_KEYFILE_ERRLEN], hex[bn_hex_enc_len(BN_KEY_LEN)];
	const char *out;
	int flags, r;

	if ((r = parse_keygen(argc, argv, &out, &flags)) != -1)
		return r;
	if (bn_keyfile_keygen(out, flags, pub, err, sizeof(err)) != BN_OK) {
		cli_err(argv[0], "%s", err);
		return BN_CLI_FAIL;
	}
	bn_hex_encode(hex, pub, sizeof(pub));
	printf("pub=%s\n", hex);
	return BN_CLI_OK;
}

int
cmd_ticket_keygen(int argc, char **argv)
{
	uint8_t pub[BN_KEY_LEN], id[BN_TICKET_KEY_ID_LEN];
	char err[BN_KEYFILE_ERRLEN], hex[bn_hex_enc_len(BN_KEY_LEN)];
	char idhex[bn_hex_enc_len(BN_TICKET_KEY_ID_LEN)];
	const char *out;
	int flags, r;

	if ((r = parse_keygen(argc, argv, &out, &flags)) != -1)
		return r;
	if (bn_keyfile_ticket_keygen(out, flags, pub, id, err,
	    sizeof(err)) != BN_OK) {
		cli_err(argv[0], "%s", err);
		return BN_CLI_FAIL;
	}
	bn_hex_encode(hex, pub, sizeof(pub));
	bn_hex_encode(idhex, id, sizeof(id));
	printf("ticket_pub=%s\nticket_key_id=%s\n", hex, idhex);
	return BN_CLI_OK;
}
