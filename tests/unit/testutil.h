/*
 * testutil: helpers shared by the unit tests.
 *
 * Vectors live in tests/vectors (copies of ../shared/vectors); the
 * directory can be overridden with BN_VECTORS_DIR in the environment.
 * Every helper ck_abort()s on a broken vector file, so tests stay short.
 */
#ifndef BN_TESTUTIL_H
#define BN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <jansson.h>

/* Load and parse a JSON vector file; the caller json_decref()s it. */
json_t	*tu_json_load(const char *name);
/* Path of a file under the vectors directory (static storage per call). */
const char *tu_vector_path(const char *name, char *out, size_t outlen);
/* Follow a dotted path ("tcp12.handshake.msg1"); aborts if absent. */
json_t	*tu_json_at(json_t *root, const char *path);
const char *tu_json_str(json_t *root, const char *path);
/* Hex field decoded into a malloc'd buffer (free it); *len set. */
uint8_t	*tu_json_hex(json_t *root, const char *path, size_t *len);
/* Hex field of exactly n bytes into out. */
void	tu_json_hex_n(json_t *root, const char *path, uint8_t *out, size_t n);
/* Decode a hex string; malloc'd result. */
uint8_t	*tu_hex(const char *hex, size_t *len);

/* Run one suite and return the process exit status. */
int	tu_run(Suite *s);

#endif
