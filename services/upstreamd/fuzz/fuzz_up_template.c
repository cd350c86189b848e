/*
 * Fuzz template rendering: the input up to the first NUL is the template
 * text, the rest the value of every variable named "v" or "w".
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "app.h"
#include "up_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size, outlen;
	struct bn_app_var vars[2];
	char *val, *out;
	int r;

	if ((val = malloc(size - tlen + 1)) == NULL)
		return 0;
	if (nul != NULL)
		memcpy(val, nul + 1, size - tlen - 1);
	val[nul != NULL ? size - tlen - 1 : 0] = '\0';
	vars[0].name = "v";
	vars[0].value = val;
	vars[1].name = "w";
	vars[1].value = "<&>";
	r = up_tmpl_render((const char *)data, tlen, vars, 2, &out, &outlen);
	if (r == BN_OK) {
		if (strlen(out) > outlen || outlen > BN_APP_RENDER_MAX)
			abort();
		free(out);
	} else if (out != NULL)
		abort();
	(void)up_tmpl_name_ok(val);
	free(val);
	return 0;
}
