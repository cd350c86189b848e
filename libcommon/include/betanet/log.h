/*
 * log: one key=value line per event, to stderr or a FILE* given at init.
 *
 *   ts=2025-01-02T03:04:05.678Z level=info daemon=htx-gw event=session_open
 *       peer=203.0.113.9 conn=42
 *
 * (one line).  bn_log_event() writes the prefix (ts, level, daemon,
 * event) and then the caller's printf-formatted key=value pairs.  Any
 * value that came from outside (a path, a header, a peer's string) must
 * go through bn_log_quote()/bn_log_qstr() first: it quotes values with
 * spaces, quotes or '=', escapes control bytes and invalid UTF-8 as \xNN
 * and cuts long values with "..." (as nginx does), so one log line can
 * never be split or forged by a peer.  Numbers and our own fixed tokens
 * may be printed directly.
 *
 * NEVER log key material: no private keys, DH outputs, session keys,
 * ticket MACs, voucher secrets, or raw ticket payloads.  Log key_id,
 * public keys at most, and reason codes.  Client faults go at info,
 * our own faults at error.
 *
 * The logger is process state, like syslog's openlog(): bn_log_init()
 * once from main() before any threads start.  Afterwards each line is
 * formatted on the stack and written with one fwrite() + fflush(), so
 * lines from different threads never interleave; the threshold is an
 * atomic and may be changed at any time.  Lines longer than
 * BN_LOG_LINE_MAX are cut and end in "...".  Nothing here allocates.
 */
#ifndef BETANET_LOG_H
#define BETANET_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum bn_log_level {
	BN_LOG_DEBUG = 0,
	BN_LOG_INFO = 1,
	BN_LOG_WARN = 2,
	BN_LOG_ERROR = 3,
};

#define BN_LOG_LINE_MAX		2048	/* incl. the newline */
#define BN_LOG_QUOTE_MIN	8	/* smallest useful outlen */
#define BN_LOG_VALUE_MAX	256	/* a good size for a quoted value */

/*
 * daemon: name printed as daemon= (copied, cut to 63 bytes; NULL keeps
 * "betanet").  fp: where lines go; NULL means stderr.  The FILE* stays
 * the caller's.
 */
void	bn_log_init(const char *daemon, FILE *fp);
void	bn_log_set_level(enum bn_log_level level);
enum bn_log_level bn_log_get_level(void);
/* Nonzero when a line at this level would be written. */
int	bn_log_enabled(enum bn_log_level level);
/* "debug" | "info" | "warn" | "error"; others BN_ERR_INVALID_ARG. */
int	bn_log_level_parse(const char *s, enum bn_log_level *out);
const char *bn_log_level_name(enum bn_log_level level);

/*
 * Write one line: prefix, then " " and the formatted pairs (fmt may be
 * NULL or "" for none).  event must be a fixed lowercase token.
 */
void	bn_log_event(enum bn_log_level level, const char *event,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	bn_log_eventv(enum bn_log_level level, const char *event,
	    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * Make in[0..inlen) safe as one log value in out (always NUL-terminated
 * when outlen > 0).  Bytes that need no quoting (printable ASCII other
 * than space, '"', '=' and '\') are copied; otherwise the value is put
 * in double quotes with '"' and '\' backslash-escaped, control bytes,
 * DEL, C1 controls and invalid UTF-8 written as \xNN, and valid UTF-8
 * kept.  An empty value becomes "".  A value that does not fit is cut at
 * a character boundary and ends in "..." (inside the quotes when
 * quoted).  Returns the length written; with outlen < BN_LOG_QUOTE_MIN
 * it writes "" (or less) and returns its length.
 */
size_t	bn_log_quote(char *out, size_t outlen, const char *in,
	    size_t inlen);
/* bn_log_quote of a C string (NULL is written as "-"), returning out. */
const char *bn_log_qstr(char *out, size_t outlen, const char *s);

#endif /* BETANET_LOG_H */
