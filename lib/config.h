/*
 * config — the landing-zone configuration (policyctl.ini), read through inih.
 *
 * Every key is declared once in config.def; this header turns that table into `struct config`
 * with one field per key named section_key (e.g. cfg->remediation_poll_interval). Field types:
 * STRING ENUM GUID URL PATH NAME MGID SEMVER → char * (NULL when unset); BOOL → int;
 * INT → long; FLOAT → double; DURATION → long milliseconds; LIST GUID_LIST → struct string_list.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "lib/strbuf.h"
#include "lib/string_list.h"

#define CONFIG_CTYPE_STRING char *
#define CONFIG_CTYPE_ENUM char *
#define CONFIG_CTYPE_GUID char *
#define CONFIG_CTYPE_URL char *
#define CONFIG_CTYPE_PATH char *
#define CONFIG_CTYPE_NAME char *
#define CONFIG_CTYPE_MGID char *
#define CONFIG_CTYPE_SEMVER char *
#define CONFIG_CTYPE_BOOL int
#define CONFIG_CTYPE_INT long
#define CONFIG_CTYPE_FLOAT double
#define CONFIG_CTYPE_DURATION long
#define CONFIG_CTYPE_LIST struct string_list
#define CONFIG_CTYPE_GUID_LIST struct string_list

enum config_key_id {
#define CONFIG_KEY(section, key, type, def, allowed, help) CONFIG_ID_##section##_##key,
#include "lib/config.def"
#undef CONFIG_KEY
	CONFIG_NR_KEYS
};

struct config {
	char *path;                    /* file it was read from; NULL for defaults only */
	unsigned line[CONFIG_NR_KEYS]; /* line each key was set on; 0 when defaulted */
#define CONFIG_KEY(section, key, type, def, allowed, help) CONFIG_CTYPE_##type section##_##key;
#include "lib/config.def"
#undef CONFIG_KEY
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_ERR_IO,      /* file missing or unreadable */
	CONFIG_ERR_INVALID, /* syntax, unknown key, bad value, missing or conflicting keys */
};

/* Sets every key to its default. */
void config_init_defaults(struct config *cfg);
/*
 * Reads path over the defaults and validates. On failure err holds one line such as
 * "landing-zone.ini:7: key 'effect': expected one of DeployIfNotExists|AuditIfNotExists|Disabled".
 * cfg is always left releasable.
 */
enum config_result config_load(struct config *cfg, const char *path, struct strbuf *err);
void config_release(struct config *cfg);

/* Parses "500ms", "30s", "5m", "4h" (or combinations "1h30m") into ms. 0 or -1. */
int config_parse_duration(const char *text, long *ms);
/* Appends the reference of every key (section, key, type, default, allowed, help) to sb. */
void config_describe(struct strbuf *sb);

#endif
