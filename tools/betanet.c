/*
 * betanet: the suite's command-line tool.
 *
 * SYNOPSIS
 *	betanet [--help | --version]
 *	betanet help [COMMAND]
 *	betanet COMMAND [OPTIONS]
 *
 * DESCRIPTION
 *	Makes keys and access tickets and (later) talks to the daemons.
 *	This file is only the dispatcher: it finds COMMAND in the table
 *	below and hands it the rest of the command line (see cli.h).
 *
 * EXIT STATUS
 *	0 on success, 1 when a command fails at run time, 2 for a bad
 *	command line.  Errors are one line on stderr:
 *	"betanet: <command>: <reason>".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct bn_cli_cmd commands[] = {
	{ "keygen", cmd_keygen,
	    "make an X25519 key pair (PREFIX.key, PREFIX.pub)",
	    cmd_keygen_usage },
	{ "ticket-keygen", cmd_ticket_keygen,
	    "make a ticket site key (PREFIX.key, PREFIX.pub, PREFIX.id)",
	    cmd_ticket_keygen_usage },
	{ "ticket", cmd_ticket,
	    "make an access ticket for a site, ready for curl",
	    cmd_ticket_usage },
	{ "ticketd", cmd_ticketd,
	    "ask ticketd: verify, voucher, stats, keys, rotate",
	    cmd_ticketd_usage },
	{ "stream", cmd_stream,
	    "open an HTX session to an upstream and send one request",
	    cmd_stream_usage },
	{ "gw", cmd_gw,
	    "ask htx-gw: status, drain an upstream, reload",
	    cmd_gw_usage },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static const struct bn_cli_cmd *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "betanet: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "betanet: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'betanet help %s')\n", cmd);
	return BN_CLI_USAGE;
}

int
cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == '?') {
		if (optopt != 0)
			cli_usage_err(argv[0], "unknown option '-%c'", optopt);
		else
			cli_usage_err(argv[0], "unknown option '%s'",
			    argv[optind - 1]);
		return CLI_OPT_BAD;
	}
	if (c == ':') {
		cli_usage_err(argv[0], "option '%s' needs an argument",
		    argv[optind - 1]);
		return CLI_OPT_BAD;
	}
	return c;
}

int
cli_help(const char *cmd)
{
	const struct bn_cli_cmd *c = find_command(cmd);

	if (c == NULL) {
		fprintf(stderr, "betanet: help: unknown command '%s' (see "
		    "'betanet --help')\n", cmd);
		return BN_CLI_USAGE;
	}
	fputs(c->usage, stdout);
	return BN_CLI_OK;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: betanet [--help | --version]\n"
	    "       betanet help COMMAND\n"
	    "       betanet COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name,
		    commands[i].summary);
}

int
main(int argc, char **argv)
{
	const struct bn_cli_cmd *c;

	if (argc < 2) {
		usage(stderr);
		return BN_CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return BN_CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("betanet %s\n", BN_VERSION);
		return BN_CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			usage(stdout);
			return BN_CLI_OK;
		}
		if (argc > 3) {
			fprintf(stderr, "betanet: help: one command at a "
			    "time\n");
			return BN_CLI_USAGE;
		}
		return cli_help(argv[2]);
	}
	if ((c = find_command(argv[1])) == NULL) {
		fprintf(stderr, "betanet: unknown command '%s' (see "
		    "'betanet --help')\n", argv[1]);
		return BN_CLI_USAGE;
	}
	/* The handler sees argv[0] == its own name. */
	return c->run(argc - 1, argv + 1);
}
