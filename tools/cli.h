/*
 * cli: what the `betanet` subcommand modules share.
 *
 * A subcommand is one row of the command table in betanet.c: a name, a
 * handler, a one-line summary for `betanet --help` and a usage text for
 * `betanet help CMD` / `betanet CMD --help`.  To add one, write
 * tools/cmd_<name>.c with its handler and usage, declare both below and
 * add a row to the table; the dispatcher needs no change.
 *
 * A handler gets argv with argv[0] set to the command name, parses it
 * with cli_getopt() (getopt_long with our error reporting), and returns
 * the process exit status: BN_CLI_OK, BN_CLI_FAIL (something failed at
 * run time) or BN_CLI_USAGE (bad command line).  Every error is one line
 * on stderr, "betanet: <cmd>: <reason>"; results go to stdout.
 */
#ifndef BETANET_TOOLS_CLI_H
#define BETANET_TOOLS_CLI_H

#include <getopt.h>

#define BN_CLI_OK	0
#define BN_CLI_FAIL	1
#define BN_CLI_USAGE	2

/* Returned by cli_getopt() for a bad option (already reported). */
#define CLI_OPT_BAD	-2

struct bn_cli_cmd {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*summary;	/* one line, no trailing period */
	const char	*usage;		/* full text, ends in '\n' */
};

/* "betanet: <cmd>: <message>\n" on stderr. */
void	cli_err(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same, pointing at `betanet help <cmd>`; returns BN_CLI_USAGE. */
int	cli_usage_err(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * getopt_long over argv[1..] that reports unknown options and missing
 * arguments itself (as a usage error) and returns CLI_OPT_BAD for them;
 * -1 at the end.  Short options must be listed in `shortopts` without a
 * leading ':' (it is added).
 */
int	cli_getopt(int argc, char **argv, const char *shortopts,
	    const struct option *longopts);
/* Print a command's usage to stdout (for --help). */
int	cli_help(const char *cmd);

/*
 * One request to a daemon's Unix socket and its answer (cli_ipc.c):
 * frames req (WIRE.md §10), waits at most timeout_ms, unpacks the answer
 * with resp_desc into *resp (free it with
 * protobuf_c_message_free_unpacked).  0, or -1 after reporting why.
 */
struct ProtobufCMessage;
struct ProtobufCMessageDescriptor;
int	cli_ipc_call(const char *cmd, const char *path,
	    const struct ProtobufCMessage *req,
	    const struct ProtobufCMessageDescriptor *resp_desc,
	    struct ProtobufCMessage **resp, int timeout_ms);

/* Subcommands (tools/cmd_*.c). */
int	cmd_keygen(int argc, char **argv);
int	cmd_ticket_keygen(int argc, char **argv);
int	cmd_ticket(int argc, char **argv);
int	cmd_ticketd(int argc, char **argv);
int	cmd_stream(int argc, char **argv);
int	cmd_gw(int argc, char **argv);
extern const char cmd_keygen_usage[];
extern const char cmd_ticket_keygen_usage[];
extern const char cmd_ticket_usage[];
extern const char cmd_ticketd_usage[];
extern const char cmd_stream_usage[];
extern const char cmd_gw_usage[];

#endif /* BETANET_TOOLS_CLI_H */
