/*
 * testutil: helpers shared by the unit tests (see testutil.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "testutil.h"

const char *
tu_vector_path(const char *name, char *out, size_t outlen)
{
	const char *dir = getenv("BN_VECTORS_DIR");

	if (dir == NULL || *dir == '\0')
		dir = BN_VECTORS_DIR;
	snprintf(out, outlen, "%s/%s", dir, name);
	return out;
}

json_t *
tu_json_load(const char *name)
{
	char path[1024];
	json_error_t e;
	json_t *j;

	tu_vector_path(name, path, sizeof(path));
	if ((j = json_load_file(path, 0, &e)) == NULL)
		ck_abort_msg("%s:%d: %s", path, e.line, e.text);
	return j;
}

json_t *
tu_json_at(json_t *root, const char *path)
{
	char tmp[256], *tok, *save = NULL;
	json_t *j = root;

	ck_assert_uint_lt(strlen(path), sizeof(tmp));
	strcpy(tmp, path);
	for (tok = strtok_r(tmp, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
		if (j == NULL)
			ck_abort_msg("vector field %s missing (at %s)", path, tok);
	}
	return j;
}

const char *
tu_json_str(json_t *root, const char *path)
{
	json_t *j = tu_json_at(root, path);

	if (!json_is_string(j))
		ck_abort_msg("vector field %s is not a string", path);
	return json_string_value(j);
}

uint8_t *
tu_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	ck_assert_ptr_nonnull(out);
	if (bn_hex_decode(out, n / 2 + 1, len, hex, n) != 0)
		ck_abort_msg("bad hex in vector: %.40s", hex);
	return out;
}

uint8_t *
tu_json_hex(json_t *root, const char *path, size_t *len)
{
	return tu_hex(tu_json_str(root, path), len);
}

void
tu_json_hex_n(json_t *root, const char *path, uint8_t *out, size_t n)
{
	const char *h = tu_json_str(root, path);

	if (bn_hex_decode_exact(out, n, h, strlen(h)) != 0)
		ck_abort_msg("vector %s: want %zu bytes of hex", path, n);
}

int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
