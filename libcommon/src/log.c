/*
 * log: key=value event lines (see log.h).
 *
 * The logger is the one piece of process-wide state in libcommon, for
 * the same reason syslog is: every module logs, and threading a logger
 * pointer through each of them buys nothing.  It is written once by
 * bn_log_init() before threads start; only the level changes later, and
 * that is an atomic.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "betanet/err.h"
#include "betanet/log.h"

#define BN_LOG_DAEMON_MAX	64
#define BN_LOG_CUT		"..."

static atomic_int log_level = BN_LOG_INFO;
static FILE *log_fp;
static char log_daemon[BN_LOG_DAEMON_MAX] = "betanet";

static const char *const level_names[] = {
	"debug", "info", "warn", "error",
};

void
bn_log_init(const char *daemon, FILE *fp)
{
	char q[BN_LOG_DAEMON_MAX];

	log_fp = fp;
	if (daemon != NULL) {
		/* The name is ours, but quote it anyway: it ends up in
		 * every line and must not break the format. */
		bn_log_quote(q, sizeof(q), daemon, strlen(daemon));
		memcpy(log_daemon, q, sizeof(log_daemon));
	}
}

void
bn_log_set_level(enum bn_log_level level)
{
	if (level < BN_LOG_DEBUG || level > BN_LOG_ERROR)
		level = BN_LOG_INFO;
	atomic_store(&log_level, (int)level);
}

enum bn_log_level
bn_log_get_level(void)
{
	return (enum bn_log_level)atomic_load(&log_level);
}

int
bn_log_enabled(enum bn_log_level level)
{
	return (int)level >= atomic_load(&log_level);
}

int
bn_log_level_parse(const char *s, enum bn_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (s != NULL && strcmp(s, level_names[i]) == 0) {
			*out = (enum bn_log_level)i;
			return BN_OK;
		}
	}
	return BN_ERR_INVALID_ARG;
}

const char *
bn_log_level_name(enum bn_log_level level)
{
	if (level < BN_LOG_DEBUG || level > BN_LOG_ERROR)
		return "unknown";
	return level_names[level];
}

/* RFC 3339 UTC with milliseconds: 2025-01-02T03:04:05.678Z */
static void
log_timestamp(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		snprintf(out, outlen, "-");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000));
}

void
bn_log_eventv(enum bn_log_level level, const char *event, const char *fmt,
    va_list ap)
{
	char line[BN_LOG_LINE_MAX], ts[128];
	FILE *fp = log_fp != NULL ? log_fp : stderr;
	size_t len, i;
	int n, cut = 0;

	if (!bn_log_enabled(level))
		return;
	log_timestamp(ts, sizeof(ts));
	/* Content takes at most sizeof(line) - 1 bytes; the last one is
	 * the NUL while formatting and the newline when writing. */
	n = snprintf(line, sizeof(line), "ts=%s level=%s daemon=%s event=%s",
	    ts, bn_log_level_name(level), log_daemon,
	    event != NULL ? event : "-");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		len = sizeof(line) - 1;
		cut = 1;
	} else
		len = (size_t)n;
	if (!cut && fmt != NULL && *fmt != '\0') {
		line[len++] = ' ';
		n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
		if (n < 0)
			n = 0;
		if ((size_t)n >= sizeof(line) - len) {
			len = sizeof(line) - 1;
			cut = 1;
		} else
			len += (size_t)n;
	}
	if (cut)
		memcpy(line + len - strlen(BN_LOG_CUT), BN_LOG_CUT,
		    strlen(BN_LOG_CUT));
	/* A caller's fmt must not smuggle a line break in. */
	for (i = 0; i < len; i++) {
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	}
	line[len++] = '\n';
	fwrite(line, 1, len, fp);
	fflush(fp);
}

void
bn_log_event(enum bn_log_level level, const char *event, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	bn_log_eventv(level, event, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0 when invalid. */
static size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;		/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;		/* <= U+10FFFF */
	} else
		return 0;
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	/* C1 controls (U+0080..U+009F) are escaped like C0 ones. */
	if (c == 0xc2 && p[1] <= 0x9f)
		return 0;
	return len;
}

static int
is_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

/*
 * Encode one character at in[i]: its bytes go to enc (up to 4), its
 * input length to *used, the encoded length is returned.
 */
static size_t
quote_one(const unsigned char *in, size_t n, char enc[4], size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t l;

	if (in[0] >= 0x20 && in[0] < 0x7f) {
		*used = 1;
		if (in[0] == '"' || in[0] == '\\') {
			enc[0] = '\\';
			enc[1] = (char)in[0];
			return 2;
		}
		enc[0] = (char)in[0];
		return 1;
	}
	if (in[0] >= 0x80 && (l = utf8_seq_len(in, n)) != 0) {
		memcpy(enc, in, l);
		*used = l;
		return l;
	}
	*used = 1;
	enc[0] = '\\';
	enc[1] = 'x';
	enc[2] = hex[in[0] >> 4];
	enc[3] = hex[in[0] & 0xf];
	return 4;
}

size_t
bn_log_quote(char *out, size_t outlen, const char *in, size_t inlen)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t i, used, el, total = 0, o = 0, room;
	int quote = 0;
	char enc[4];

	if (outlen == 0)
		return 0;
	if (in == NULL)
		inlen = 0;
	if (outlen < BN_LOG_QUOTE_MIN) {
		if (outlen >= 3)
			o = (size_t)snprintf(out, outlen, "\"\"");
		else
			out[0] = '\0';
		return o;
	}
	if (inlen == 0)
		quote = 1;
	for (i = 0; i < inlen; i += used) {
		el = quote_one(u + i, inlen - i, enc, &used);
		if (el != 1 || !is_plain(u[i]))
			quote = 1;
		total += el;
	}
	/* What must stay free at the end: closing quote and NUL, and the
	 * cut marker too when the whole value will not fit. */
	room = outlen - 1 - (quote ? 2 : 0);
	if (total > room)
		room -= strlen(BN_LOG_CUT);
	if (quote)
		out[o++] = '"';
	for (i = 0; i < inlen; i += used) {
		el = quote_one(u + i, inlen - i, enc, &used);
		if (el > room)
			break;
		memcpy(out + o, enc, el);
		o += el;
		room -= el;
	}
	if (i < inlen) {
		memcpy(out + o, BN_LOG_CUT, strlen(BN_LOG_CUT));
		o += strlen(BN_LOG_CUT);
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

const char *
bn_log_qstr(char *out, size_t outlen, const char *s)
{
	if (s == NULL) {
		if (outlen >= 2)
			memcpy(out, "-", 2);
		else if (outlen == 1)
			out[0] = '\0';
		return out;
	}
	bn_log_quote(out, outlen, s, strlen(s));
	return out;
}
