/*
 * Unit tests for log: the line prefix, the level threshold, line
 * cutting, and bn_log_quote's quoting, escaping and truncation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "betanet/log.h"
#include "testutil.h"

/* Read everything written to fp so far into a malloc'd string. */
static char *
slurp(FILE *fp)
{
	long n;
	char *s;

	fflush(fp);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	s = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	rewind(fp);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
	return s;
}

START_TEST(test_prefix)
{
	FILE *fp = tmpfile();
	char *s, *p;

	ck_assert_ptr_nonnull(fp);
	bn_log_init("htx-gw", fp);
	bn_log_set_level(BN_LOG_INFO);
	bn_log_event(BN_LOG_INFO, "session_open", "peer=%s conn=%llu",
	    "203.0.113.9", 42ULL);
	s = slurp(fp);
	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ */
	ck_assert_int_eq(strncmp(s, "ts=", 3), 0);
	ck_assert_uint_eq(strlen(s), 3 + 24 + strlen(" level=info "
	    "daemon=htx-gw event=session_open peer=203.0.113.9 conn=42\n"));
	ck_assert(s[7] == '-' && s[10] == '-' && s[13] == 'T' &&
	    s[16] == ':' && s[19] == ':' && s[22] == '.' && s[26] == 'Z');
	p = s + 27;
	ck_assert_str_eq(p, " level=info daemon=htx-gw event=session_open "
	    "peer=203.0.113.9 conn=42\n");
	free(s);
	fclose(fp);
	bn_log_init(NULL, NULL);
}
END_TEST

START_TEST(test_levels)
{
	FILE *fp = tmpfile();
	enum bn_log_level l;
	char *s;

	bn_log_init("t", fp);
	bn_log_set_level(BN_LOG_WARN);
	ck_assert(!bn_log_enabled(BN_LOG_INFO));
	ck_assert(bn_log_enabled(BN_LOG_ERROR));
	bn_log_event(BN_LOG_DEBUG, "a", NULL);
	bn_log_event(BN_LOG_INFO, "b", "x=1");
	bn_log_event(BN_LOG_WARN, "c", NULL);
	bn_log_event(BN_LOG_ERROR, "d", "y=%d", 2);
	s = slurp(fp);
	ck_assert_ptr_null(strstr(s, "event=a"));
	ck_assert_ptr_null(strstr(s, "event=b"));
	ck_assert_ptr_nonnull(strstr(s, "level=warn daemon=t event=c\n"));
	ck_assert_ptr_nonnull(strstr(s, "level=error daemon=t event=d y=2\n"));
	free(s);
	fclose(fp);
	ck_assert_int_eq(bn_log_level_parse("debug", &l), BN_OK);
	ck_assert_int_eq(l, BN_LOG_DEBUG);
	ck_assert_int_eq(bn_log_level_parse("error", &l), BN_OK);
	ck_assert_int_eq(l, BN_LOG_ERROR);
	ck_assert_int_eq(bn_log_level_parse("ERROR", &l), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_log_level_parse(NULL, &l), BN_ERR_INVALID_ARG);
	ck_assert_str_eq(bn_log_level_name(BN_LOG_WARN), "warn");
	bn_log_set_level(BN_LOG_INFO);
	bn_log_init("betanet", NULL);
}
END_TEST

/* A line longer than the cap is cut with "..." and still one line. */
START_TEST(test_long_line)
{
	FILE *fp = tmpfile();
	char big[4000], *s;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bn_log_init("t", fp);
	bn_log_event(BN_LOG_INFO, "big", "v=%s", big);
	bn_log_event(BN_LOG_INFO, "nl", "v=%s", "a\nb\rc");
	s = slurp(fp);
	ck_assert_uint_eq(strchr(s, '\n') - s + 1, BN_LOG_LINE_MAX);
	ck_assert_int_eq(strncmp(s + BN_LOG_LINE_MAX - 4, "...\n", 4), 0);
	ck_assert_str_eq(s + strlen(s) - 8, "v=a b c\n");
	free(s);
	fclose(fp);
	bn_log_init("betanet", NULL);
}
END_TEST

static const char *
q(char *out, size_t outlen, const char *in, size_t inlen)
{
	size_t n = bn_log_quote(out, outlen, in, inlen);

	ck_assert_uint_eq(n, strlen(out));
	ck_assert_uint_lt(n, outlen);
	return out;
}

START_TEST(test_quote)
{
	char o[64];

	ck_assert_str_eq(q(o, sizeof(o), "plain/x-1.2", 11), "plain/x-1.2");
	ck_assert_str_eq(q(o, sizeof(o), "", 0), "\"\"");
	ck_assert_str_eq(q(o, sizeof(o), NULL, 5), "\"\"");
	ck_assert_str_eq(q(o, sizeof(o), "a b", 3), "\"a b\"");
	ck_assert_str_eq(q(o, sizeof(o), "k=v", 3), "\"k=v\"");
	ck_assert_str_eq(q(o, sizeof(o), "say \"hi\"\\", 9),
	    "\"say \\\"hi\\\"\\\\\"");
	ck_assert_str_eq(q(o, sizeof(o), "a\nb\tc\x7f", 6),
	    "\"a\\x0ab\\x09c\\x7f\"");
	ck_assert_str_eq(q(o, sizeof(o), "a\0b", 3), "\"a\\x00b\"");
	/* Valid UTF-8 kept (quoted), invalid and C1 escaped. */
	ck_assert_str_eq(q(o, sizeof(o), "caf\xc3\xa9", 5),
	    "\"caf\xc3\xa9\"");
	ck_assert_str_eq(q(o, sizeof(o), "\xf0\x9f\x98\x80", 4),
	    "\"\xf0\x9f\x98\x80\"");
	ck_assert_str_eq(q(o, sizeof(o), "\xff\xc3", 2), "\"\\xff\\xc3\"");
	ck_assert_str_eq(q(o, sizeof(o), "\xc0\xaf", 2), "\"\\xc0\\xaf\"");
	ck_assert_str_eq(q(o, sizeof(o), "\xed\xa0\x80", 3),
	    "\"\\xed\\xa0\\x80\"");		/* surrogate */
	ck_assert_str_eq(q(o, sizeof(o), "\xc2\x85", 2), "\"\\xc2\\x85\"");
	ck_assert_str_eq(q(o, sizeof(o), "\xe2\x82", 2), "\"\\xe2\\x82\"");
	ck_assert_str_eq(bn_log_qstr(o, sizeof(o), NULL), "-");
	ck_assert_str_eq(bn_log_qstr(o, sizeof(o), "x y"), "\"x y\"");
}
END_TEST

START_TEST(test_quote_truncate)
{
	char o[64], in[200];
	size_t i;

	memset(in, 'a', sizeof(in));
	/* Exactly fits: 9 chars + NUL in 10 bytes, no cut. */
	ck_assert_str_eq(q(o, 10, in, 9), "aaaaaaaaa");
	ck_assert_str_eq(q(o, 10, in, 10), "aaaaaa...");
	ck_assert_str_eq(q(o, 12, "a b c d e f", 11), "\"a b c ...\"");
	ck_assert_str_eq(q(o, 12, "a b c d e", 9), "\"a b c d e\"");
	ck_assert_str_eq(q(o, 11, "a b c d e", 9), "\"a b c...\"");
	/* Never cut inside an escape or a UTF-8 sequence. */
	ck_assert_str_eq(q(o, 12, "\x01\x02\x03", 3), "\"\\x01...\"");
	ck_assert_str_eq(q(o, 9, "\xc3\xa9\xc3\xa9\xc3\xa9", 6),
	    "\"\xc3\xa9\xc3\xa9\xc3\xa9\"");
	ck_assert_str_eq(q(o, 8, "\xc3\xa9\xc3\xa9\xc3\xa9", 6),
	    "\"\xc3\xa9...\"");
	/* Too small for anything useful. */
	ck_assert_str_eq(q(o, 5, in, 3), "\"\"");
	ck_assert_str_eq(q(o, 2, in, 3), "");
	ck_assert_uint_eq(bn_log_quote(o, 0, in, 3), 0);
	/* Every outlen from the minimum up: always terminated, in bounds. */
	for (i = BN_LOG_QUOTE_MIN; i < sizeof(o); i++) {
		q(o, i, "\xff x\xc3\xa9\"=\n", 8);
		q(o, i, in, sizeof(in));
	}
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_quote_truncate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(log_suite());
}
