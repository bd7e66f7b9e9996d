/*
 * config — reads policyctl.ini into struct config (see config.h and config.def).
 *
 * inih does the tokenising; we feed it through our own line reader so that every key's line
 * number is known exactly, and every error names file:line and what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

enum config_type {
	T_STRING, T_ENUM, T_BOOL, T_INT, T_FLOAT, T_DURATION, T_GUID, T_URL, T_PATH, T_NAME,
	T_MGID, T_SEMVER, T_LIST, T_GUID_LIST,
};

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	const char *def;
	const char *allowed;
	const char *help;
	size_t offset; /* of the field in struct config */
};

static const struct config_key keys[] = {
#define CONFIG_KEY(section, key, type, def, allowed, help) \
	{ #section, #key, T_##type, def, allowed, help, offsetof(struct config, section##_##key) },
#include "lib/config.def"
#undef CONFIG_KEY
};

static const char *const type_names[] = {
	"string", "one of", "true|false", "integer", "number", "duration", "GUID", "URL", "path",
	"name", "management group id", "version", "list", "list of GUIDs",
};

#define FIELD(cfg, k, ctype) ((ctype *)((char *)(cfg) + (k)->offset))

static int is_list(const struct config_key *k)
{
	return k->type == T_LIST || k->type == T_GUID_LIST;
}

static int is_string(const struct config_key *k)
{
	return k->type != T_BOOL && k->type != T_INT && k->type != T_FLOAT &&
	       k->type != T_DURATION && !is_list(k);
}

int config_parse_duration(const char *text, long *ms)
{
	static const struct { const char *unit; long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	const char *p = text;
	long total = 0;

	if (!*p)
		return -1;
	while (*p) {
		char *end;
		long n;
		size_t i, best = ARRAY_SIZE(units);
		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || end == p)
			return -1;
		for (i = 0; i < ARRAY_SIZE(units); i++) {
			size_t len = strlen(units[i].unit);
			if (!strncmp(end, units[i].unit, len) && !isalpha((unsigned char)end[len])) {
				best = i;
				break;
			}
		}
		if (best == ARRAY_SIZE(units))
			return -1;
		if (n > (1L << 40) / units[best].ms)
			return -1;
		total += n * units[best].ms;
		p = end + strlen(units[best].unit);
	}
	*ms = total;
	return 0;
}

static int is_guid(const char *s)
{
	static const int dash_at[] = { 8, 13, 18, 23 };
	size_t i, d = 0;
	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < ARRAY_SIZE(dash_at) && (int)i == dash_at[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Azure's rule for policy resource names: no <>*%&:\?.+/ and no trailing space. */
static int is_policy_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 128 || s[n - 1] == ' ')
		return 0;
	return strpbrk(s, "<>*%&:\\?.+/") == NULL;
}

/* Management group ids: up to 90 of letters, digits, - _ ( ) . and no trailing period. */
static int is_mgid(const char *s)
{
	size_t i, n = strlen(s);
	if (!n || n > 90 || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_().", s[i]))
			return 0;
	return 1;
}

static int is_semver(const char *s)
{
	int parts = 0;
	while (parts < 3) {
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
		parts++;
		if (parts < 3 && *s++ != '.')
			return 0;
	}
	if (*s == '-') {
		s++;
		if (!*s)
			return 0;
		for (; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
				return 0;
	}
	return *s == '\0';
}

/* True when the URL's host (what follows "http://") is localhost, [::1] or 127.x.y.z. */
static int host_is_loopback(const char *host_start)
{
	size_t n = strcspn(host_start, ":/?#"), i;
	int dots = 0;

	if (!strncmp(host_start, "[::1]", 5))
		return host_start[5] == '\0' || strchr(":/?#", host_start[5]);
	if (n == 9 && !strncmp(host_start, "localhost", 9))
		return 1;
	/* an IPv4 literal in 127.0.0.0/8, not a name such as 127.example.com */
	if (n < 9 || strncmp(host_start, "127.", 4))
		return 0;
	for (i = 0; i < n; i++) {
		if (host_start[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)host_start[i]))
			return 0;
	}
	return dots == 3;
}

static int is_url(const char *s)
{
	if (!strncmp(s, "https://", 8))
		return s[8] != '\0' && s[8] != '/';
	if (!strncmp(s, "http://", 7))
		return host_is_loopback(s + 7);
	return 0;
}

static int enum_allows(const char *allowed, const char *value)
{
	size_t n = strlen(value);
	const char *p = allowed;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, value, n))
			return 1;
		p += len + (bar ? 1 : 0);
	}
	return 0;
}

static void split_list(struct string_list *list, const char *value)
{
	const char *p = value;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *item = xstrndup(p, len);
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, item);
		strbuf_trim(&sb);
		if (sb.len)
			string_list_append(list, sb.buf);
		strbuf_release(&sb);
		free(item);
		p += len + (comma ? 1 : 0);
	}
}

static void free_field(struct config *cfg, const struct config_key *k)
{
	if (is_list(k))
		string_list_clear(FIELD(cfg, k, struct string_list));
	else if (is_string(k)) {
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = NULL;
	}
}

/* Parses value into the field. Returns 0, or -1 with "expected ..." appended to err. */
static int set_value(struct config *cfg, const struct config_key *k, const char *value,
		     int append, struct strbuf *err)
{
	char *end;
	size_t i;

	switch (k->type) {
	case T_ENUM:
		if (!enum_allows(k->allowed, value))
			goto expected;
		break;
	case T_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			goto expected;
		*FIELD(cfg, k, int) = !strcmp(value, "true");
		return 0;
	case T_INT: {
		long lo, hi, n;
		errno = 0;
		n = strtol(value, &end, 10);
		lo = strtol(k->allowed, NULL, 10);
		hi = strtol(strstr(k->allowed, "..") + 2, NULL, 10);
		if (errno || end == value || *end || n < lo || n > hi)
			goto expected;
		*FIELD(cfg, k, long) = n;
		return 0;
	}
	case T_FLOAT: {
		double lo, hi, d;
		errno = 0;
		d = strtod(value, &end);
		lo = strtod(k->allowed, NULL);
		hi = strtod(strstr(k->allowed, "..") + 2, NULL);
		if (errno || end == value || *end || !isfinite(d) || d < lo || d > hi)
			goto expected;
		*FIELD(cfg, k, double) = d;
		return 0;
	}
	case T_DURATION:
		if (config_parse_duration(value, FIELD(cfg, k, long)) < 0)
			goto expected;
		return 0;
	case T_GUID:
		if (!is_guid(value))
			goto expected;
		break;
	case T_URL:
		if (!is_url(value))
			goto expected;
		break;
	case T_NAME:
		if (!is_policy_name(value))
			goto expected;
		break;
	case T_MGID:
		if (!is_mgid(value))
			goto expected;
		break;
	case T_SEMVER:
		if (!is_semver(value))
			goto expected;
		break;
	case T_PATH:
	case T_STRING:
		if (!*value)
			goto expected;
		break;
	case T_LIST:
	case T_GUID_LIST: {
		struct string_list *list = FIELD(cfg, k, struct string_list);
		size_t first;
		if (!append)
			string_list_clear(list);
		first = list->nr;
		split_list(list, value);
		if (k->type == T_GUID_LIST)
			for (i = first; i < list->nr; i++)
				if (!is_guid(list->items[i])) {
					strbuf_addf(err, "expected comma-separated GUIDs, got '%s'",
						    list->items[i]);
					return -1;
				}
		return 0;
	}
	}
	free_field(cfg, k);
	*FIELD(cfg, k, char *) = xstrdup(value);
	return 0;

expected:
	switch (k->type) {
	case T_ENUM:
		strbuf_addf(err, "expected one of %s", k->allowed);
		break;
	case T_BOOL:
		strbuf_addstr(err, "expected one of true|false");
		break;
	case T_INT:
		strbuf_addf(err, "expected an integer in %s", k->allowed);
		break;
	case T_FLOAT:
		strbuf_addf(err, "expected a number in %s", k->allowed);
		break;
	case T_DURATION:
		strbuf_addstr(err, "expected a duration such as 500ms, 30s, 5m or 4h");
		break;
	case T_GUID:
		strbuf_addstr(err, "expected a GUID such as 00000000-0000-0000-0000-000000000000");
		break;
	case T_URL:
		strbuf_addstr(err, "expected an https:// URL (http:// only to a loopback address)");
		break;
	case T_NAME:
		strbuf_addstr(err, "expected 1-128 characters without <>*%&:\\?.+/ or a trailing space");
		break;
	case T_MGID:
		strbuf_addstr(err, "expected a management group id: up to 90 letters, digits, -_().");
		break;
	case T_SEMVER:
		strbuf_addstr(err, "expected a version such as 1.0.0 or 1.1.0-preview");
		break;
	default:
		strbuf_addf(err, "expected a non-empty %s", type_names[k->type]);
		break;
	}
	return -1;
}

void config_init_defaults(struct config *cfg)
{
	size_t i;
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		struct strbuf ignored = STRBUF_INIT;
		if (keys[i].def && set_value(cfg, &keys[i], keys[i].def, 0, &ignored) < 0)
			abort(); /* a default that fails its own validation is a bug in config.def */
		strbuf_release(&ignored);
	}
}

void config_release(struct config *cfg)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		free_field(cfg, &keys[i]);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/* The longest line we accept at all (inih's own limit is far lower: see keep_long_line). */
#define CONFIG_MAX_LINE 65536

struct parse_state {
	struct config *cfg;
	FILE *file;
	const char *path;
	char *dir;             /* folder of the file, for relative paths; owned */
	unsigned line;         /* line most recently read */
	int line_is_continuation; /* it started with white space */
	char *long_value;       /* value of a line too long for inih; owned */
	unsigned long_value_line; /* the line it came from */
	struct strbuf err;     /* first error only */
	unsigned err_line;     /* line of that error */
};

/* Cuts an inline comment (";" after white space, as inih does) and trims; returns s. */
static char *strip_value(struct strbuf *sb)
{
	size_t i;
	for (i = 1; i < sb->len; i++)
		if (sb->buf[i] == ';' && (sb->buf[i - 1] == ' ' || sb->buf[i - 1] == '\t')) {
			strbuf_setlen(sb, i);
			break;
		}
	strbuf_trim(sb);
	return sb->buf;
}

/*
 * inih reads lines into a fixed buffer (200 bytes in Debian's build), yet a message or a
 * resource id can be longer. For such a line we keep the whole value ourselves, give inih a
 * short stand-in ("key = -"), and handle_key swaps the real value back in.
 */
static int keep_long_line(struct parse_state *ps, char *str, int num, struct strbuf *full)
{
	int continuation = full->buf[0] == ' ' || full->buf[0] == '\t';
	const char *eq = strchr(full->buf, '=');
	struct strbuf value = STRBUF_INIT;
	size_t key_len;

	if (continuation) {
		strbuf_addstr(&value, full->buf);
		key_len = 0;
	} else {
		if (!eq || full->buf[0] == '[' || full->buf[0] == ';' || full->buf[0] == '#')
			return -1;
		key_len = (size_t)(eq - full->buf);
		if (key_len + 5 > (size_t)num)
			return -1;
		strbuf_addstr(&value, eq + 1);
	}
	free(ps->long_value);
	ps->long_value = xstrdup(strip_value(&value));
	ps->long_value_line = ps->line;
	strbuf_release(&value);
	/* the stand-in: the key as written (or the indent) and a one-character value */
	if (continuation)
		memcpy(str, " -\n", 4);
	else {
		memcpy(str, full->buf, key_len);
		memcpy(str + key_len, "= -\n", 5);
	}
	return 0;
}

/* An fgets for inih that counts lines, so handlers know where they are. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	char *got = fgets(str, num, ps->file);
	size_t len;
	if (!got)
		return NULL;
	ps->line++;
	ps->line_is_continuation = (str[0] == ' ' || str[0] == '\t');
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(ps->file)) {
		struct strbuf full = STRBUF_INIT;
		int c, over_cap = 0;
		strbuf_add(&full, str, len);
		while ((c = fgetc(ps->file)) != EOF && c != '\n')
			if (strbuf_add_capped(&full, &(char){ (char)c }, 1, CONFIG_MAX_LINE) < 0)
				break;
		if (c != EOF && c != '\n') {
			over_cap = 1;
			while ((c = fgetc(ps->file)) != EOF && c != '\n')
				;
		} else if (keep_long_line(ps, str, num, &full) == 0) {
			strbuf_release(&full);
			return got;
		}
		strbuf_release(&full);
		if (!ps->err.len) {
			ps->err_line = ps->line;
			strbuf_addf(&ps->err, "%s:%u: line longer than %d characters", ps->path,
				    ps->line, over_cap ? CONFIG_MAX_LINE : num - 2);
		}
	}
	return got;
}

static const char *const secret_keys[] = {
	"client_secret", "secret", "password", "token", "access_token", "private_key",
};

static void list_keys_of(struct strbuf *sb, const char *section)
{
	size_t i;
	int first = 1;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section)) {
			strbuf_addf(sb, "%s%s", first ? "" : "|", keys[i].key);
			first = 0;
		}
}

static void list_sections(struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!i || strcmp(keys[i].section, keys[i - 1].section))
			strbuf_addf(sb, "%s%s", i ? "|" : "", keys[i].section);
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	const struct config_key *k = NULL;
	int section_known = 0;
	size_t i;

	if (ps->err.len)
		return 0;
	if (ps->long_value && ps->long_value_line == ps->line)
		value = ps->long_value;
	ps->err_line = ps->line; /* kept only if this key fails */
	strbuf_addf(&ps->err, "%s:%u: ", ps->path, ps->line);
	if (!*section) {
		strbuf_addf(&ps->err, "key '%s' outside any section: expected a [section] first", name);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].section, section))
			continue;
		section_known = 1;
		if (!strcmp(keys[i].key, name))
			k = &keys[i];
	}
	if (!section_known) {
		strbuf_addf(&ps->err, "unknown section [%s]: expected one of ", section);
		list_sections(&ps->err);
		return 0;
	}
	if (!k) {
		for (i = 0; i < ARRAY_SIZE(secret_keys); i++)
			if (!strcmp(name, secret_keys[i])) {
				strbuf_addf(&ps->err, "key '%s': secrets are not config values; name a file "
					    "(client_secret_file) or use AZURE_CLIENT_SECRET", name);
				return 0;
			}
		strbuf_addf(&ps->err, "unknown key '%s' in [%s]: expected one of ", name, section);
		list_keys_of(&ps->err, section);
		return 0;
	}
	if (ps->cfg->line[k - keys]) {
		if (!ps->line_is_continuation) {
			strbuf_addf(&ps->err, "key '%s' in [%s] is set twice (first on line %u)",
				    name, section, ps->cfg->line[k - keys]);
			return 0;
		}
		if (k->type == T_STRING) {
			/* long text folds onto indented lines, joined by one space */
			char **field = FIELD(ps->cfg, k, char *);
			struct strbuf joined = STRBUF_INIT;
			strbuf_addf(&joined, "%s %s", *field, value);
			free(*field);
			*field = strbuf_detach(&joined, NULL);
			strbuf_reset(&ps->err);
			return 1;
		}
		if (!is_list(k)) {
			strbuf_addf(&ps->err, "key '%s': only lists and text continue on indented "
				    "lines", name);
			return 0;
		}
	} else {
		ps->cfg->line[k - keys] = ps->line;
	}
	strbuf_addf(&ps->err, "key '%s': ", name);
	if (set_value(ps->cfg, k, value, ps->line_is_continuation, &ps->err) < 0)
		return 0;
	if (k->type == T_PATH && value[0] != '/' && ps->dir) {
		char **field = FIELD(ps->cfg, k, char *);
		struct strbuf full = STRBUF_INIT;
		strbuf_addf(&full, "%s/%s", ps->dir, *field);
		free(*field);
		*field = strbuf_detach(&full, NULL);
	}
	strbuf_reset(&ps->err);
	return 1;
}

static int fail_at(struct parse_state *ps, enum config_key_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct parse_state *ps, enum config_key_id id, const char *fmt, ...)
{
	va_list ap;
	/* CONFIG_NR_KEYS stands for "no particular key": the message names the file only */
	if (id < CONFIG_NR_KEYS && ps->cfg->line[id])
		strbuf_addf(&ps->err, "%s:%u: ", ps->path, ps->cfg->line[id]);
	else
		strbuf_addf(&ps->err, "%s: ", ps->path);
	va_start(ap, fmt);
	strbuf_vaddf(&ps->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Rules that span keys. Returns 0, or -1 with ps->err set. */
static int validate(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	size_t i, j;

	if (!strcmp(cfg->cloud_name, "custom") && !cfg->cloud_arm_endpoint)
		return fail_at(ps, CONFIG_ID_cloud_name,
			       "key 'arm_endpoint' in [cloud] is required when name = custom");
	if (!cfg->scope_management_group && !cfg->scope_subscriptions.nr)
		return fail_at(ps, CONFIG_NR_KEYS,
			       "section [scope]: expected key 'management_group' or 'subscriptions'");
	if (cfg->scope_management_group && cfg->scope_subscriptions.nr)
		return fail_at(ps, CONFIG_ID_scope_subscriptions,
			       "key 'subscriptions': conflicts with 'management_group' (line %u): "
			       "expected one scope", cfg->line[CONFIG_ID_scope_management_group]);
	if (cfg->scope_definitions_at && !strcmp(cfg->scope_definitions_at, "management-group") &&
	    !cfg->scope_management_group)
		return fail_at(ps, CONFIG_ID_scope_definitions_at,
			       "key 'definitions_at': management-group needs key 'management_group'");
	if (cfg->scope_definitions_at && !strcmp(cfg->scope_definitions_at, "subscription") &&
	    cfg->scope_management_group)
		return fail_at(ps, CONFIG_ID_scope_definitions_at,
			       "key 'definitions_at': subscription needs key 'subscriptions' (with "
			       "'management_group', definitions live at the management group)");
	for (i = 0; i < cfg->scope_subscriptions.nr; i++)
		for (j = 0; j < i; j++)
			if (!strcasecmp(cfg->scope_subscriptions.items[i], cfg->scope_subscriptions.items[j]))
				return fail_at(ps, CONFIG_ID_scope_subscriptions,
					       "key 'subscriptions': '%s' is listed twice",
					       cfg->scope_subscriptions.items[i]);
	if (!cfg->scope_definitions_at)
		cfg->scope_definitions_at =
			xstrdup(cfg->scope_management_group ? "management-group" : "subscription");
	if (cfg->scope_management_group && strlen(cfg->assignment_name) > 24)
		return fail_at(ps, CONFIG_ID_assignment_name,
			       "key 'name': expected at most 24 characters for an assignment at "
			       "management-group scope, got %zu", strlen(cfg->assignment_name));
	for (i = 0; i < cfg->assignment_not_scopes.nr; i++) {
		const char *id = cfg->assignment_not_scopes.items[i];
		if (strncmp(id, "/subscriptions/", 15) &&
		    strncmp(id, "/providers/Microsoft.Management/managementGroups/", 49))
			return fail_at(ps, CONFIG_ID_assignment_not_scopes,
				       "key 'not_scopes': expected resource ids starting with "
				       "/subscriptions/ or /providers/Microsoft.Management/managementGroups/, "
				       "got '%s'", id);
	}
	if (strcmp(cfg->assignment_identity, "system") &&
	    (strncmp(cfg->assignment_identity, "user:/subscriptions/", 20) ||
	     !strstr(cfg->assignment_identity, "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/")))
		return fail_at(ps, CONFIG_ID_assignment_identity,
			       "key 'identity': expected system or user:<resource id of a "
			       "Microsoft.ManagedIdentity/userAssignedIdentities>");
	return 0;
}

enum config_result config_load(struct config *cfg, const char *path, struct strbuf *err)
{
	struct parse_state ps = { 0 };
	const char *slash;
	int rc;

	config_init_defaults(cfg);
	cfg->path = xstrdup(path);
	ps.file = fopen(path, "r");
	if (!ps.file) {
		strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		return CONFIG_ERR_IO;
	}
	ps.cfg = cfg;
	ps.path = path;
	slash = strrchr(path, '/');
	ps.dir = slash ? xstrndup(path, (size_t)(slash - path)) : NULL;
	strbuf_init(&ps.err, 0);

	rc = ini_parse_stream(read_line, &ps, handle_key, &ps);
	/* inih reports its first syntax error only at the end: it wins when it came first */
	if (rc > 0 && (!ps.err.len || (unsigned)rc < ps.err_line)) {
		strbuf_reset(&ps.err);
		strbuf_addf(&ps.err, "%s:%d: expected '[section]', 'key = value' or a comment",
			    path, rc);
	}
	if (!ps.err.len && ferror(ps.file))
		strbuf_addf(&ps.err, "cannot read '%s': %s", path, strerror(errno));
	fclose(ps.file);
	if (!ps.err.len)
		validate(&ps);
	free(ps.dir);
	free(ps.long_value);
	if (ps.err.len) {
		strbuf_add(err, ps.err.buf, ps.err.len);
		strbuf_release(&ps.err);
		return CONFIG_ERR_INVALID;
	}
	strbuf_release(&ps.err);
	return CONFIG_OK;
}

void config_describe(struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct config_key *k = &keys[i];
		if (!i || strcmp(k->section, keys[i - 1].section))
			strbuf_addf(sb, "%s[%s]\n", i ? "\n" : "", k->section);
		strbuf_addf(sb, "  %-24s %s", k->key, type_names[k->type]);
		if (*k->allowed)
			strbuf_addf(sb, " %s", k->allowed);
		if (k->def)
			strbuf_addf(sb, " (default: %s)", k->def);
		strbuf_addf(sb, "\n      %s\n", k->help);
	}
}
