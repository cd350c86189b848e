/*
 * fuzz_config: bn_config_load_mem over arbitrary bytes, with a schema
 * that has every field type (the `common` section plus a section like a
 * daemon's, with a list of tables).  Whatever the input, the load must
 * return, leave a one-line message on failure, and free cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/config.h"
#include "betanet/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct f_up {
	struct bn_config_addr	 addr;
	char			*pub;
	int64_t			 weight;
	struct bn_config_strlist tags;
};

struct f_gw {
	int64_t			 max_header_bytes;
	int			 allow_compat;
	uint64_t		 idle_timeout;
	uint64_t		 max_body;
	struct bn_config_addr	 listen;
	struct bn_config_strlist cover;
	struct bn_config_list	 upstreams;
	int			 mode;
	char			*cookie;
};

static const char *const f_modes[] = { "fast", "safe", NULL };

static const struct bn_config_field f_up_fields[] = {
	BN_CFG_F_ADDR("addr", struct f_up, addr, NULL),
	BN_CFG_F_STR("pub", struct f_up, pub, NULL, 0, 64),
	BN_CFG_F_INT("weight", struct f_up, weight, "1", 1, 100),
	BN_CFG_F_STR_LIST("tags", struct f_up, tags, 8),
	BN_CFG_F_END
};

static const struct bn_config_field f_gw_fields[] = {
	BN_CFG_F_INT("max_header_bytes", struct f_gw, max_header_bytes,
	    "8192", 1024, 65536),
	BN_CFG_F_BOOL("allow_compat", struct f_gw, allow_compat, "false"),
	BN_CFG_F_DURATION("idle_timeout", struct f_gw, idle_timeout, "30s",
	    0, 0),
	BN_CFG_F_SIZE("max_body", struct f_gw, max_body, "1MiB", 1024,
	    (int64_t)1 << 30),
	BN_CFG_F_ADDR("listen", struct f_gw, listen, "127.0.0.1:8080"),
	BN_CFG_F_STR_LIST("cover", struct f_gw, cover, 0),
	BN_CFG_F_TABLE_LIST("upstreams", struct f_gw, upstreams, f_up_fields,
	    struct f_up, 16),
	BN_CFG_F_ENUM("mode", struct f_gw, mode, "safe", f_modes),
	BN_CFG_F_STR("cookie", struct f_gw, cookie, "__Host-bn1", 1, 64),
	BN_CFG_F_END
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_common_config common;
	struct f_gw gw;
	struct bn_config_section secs[2] = {
		{ "common", bn_config_common_fields, &common },
		{ "htx_gw", f_gw_fields, &gw },
	};
	char err[BN_CONFIG_ERR_MAX];
	int r;

	memset(&common, 0, sizeof(common));
	memset(&gw, 0, sizeof(gw));
	r = bn_config_load_mem("fuzz", data, size, secs, 2, err,
	    sizeof(err));
	if (r != BN_OK && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();
	if (r == BN_OK && (common.run_dir == NULL || gw.cookie == NULL))
		abort();
	bn_config_free(bn_config_common_fields, &common);
	bn_config_free(f_gw_fields, &gw);
	return 0;
}
