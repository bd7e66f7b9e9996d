/*
 * exemptions — the exemptions file, its checks, desired bodies, comparison and status
 * (see exemptions.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/exemptions.h"
#include "lib/digest.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define AUTHZ_EXEMPTIONS "/providers/Microsoft.Authorization/policyExemptions/"
#define MG_PREFIX "/providers/Microsoft.Management/managementGroups/"
#define NAME_MAX_LEN 64
#define HASH_SUFFIX_LEN 9 /* "-" and 8 hex digits, for an entry of several resources */

static const char *const entry_keys[] = {
	"name", "scope", "resources", "members", "category", "owner", "expires", "reason",
	"ticket", "resourceSelectors",
};

/* ---- time ---- */

int exemptions_parse_time(const char *text, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 23, mi = 59, n = 0;
	double sec = 59;
	const char *rest;
	time_t t;

	if (!text)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	rest = text + n;
	if (*rest) {
		int m = 0;
		if ((*rest != 'T' && *rest != 't') ||
		    sscanf(rest + 1, "%2d:%2d:%lf%n", &h, &mi, &sec, &m) != 3)
			return -1;
		rest += 1 + m;
		if (strcmp(rest, "Z") && strcmp(rest, "z") && strcmp(rest, "+00:00"))
			return -1; /* UTC only, as Azure writes it */
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec >= 61)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d)
		return -1; /* 2027-02-30 */
	*ms = (int64_t)t * 1000 + (int64_t)((sec - (int)sec) * 1000);
	return 0;
}

void exemptions_format_time(int64_t ms, struct strbuf *out)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strbuf_addstr(out, buf);
}

/* A duration as config writes it: "180d", "12h", "90s". */
static void format_duration(long ms, struct strbuf *out)
{
	if (ms && ms % 86400000L == 0)
		strbuf_addf(out, "%ldd", ms / 86400000L);
	else if (ms && ms % 3600000L == 0)
		strbuf_addf(out, "%ldh", ms / 3600000L);
	else if (ms % 1000 == 0)
		strbuf_addf(out, "%lds", ms / 1000);
	else
		strbuf_addf(out, "%ldms", ms);
}

/* ---- status ---- */

const char *exemption_status_name(enum exemption_status status)
{
	switch (status) {
	case EXEMPTION_ACTIVE: return "active";
	case EXEMPTION_EXPIRING: return "expiring";
	case EXEMPTION_EXPIRED: return "expired";
	case EXEMPTION_NO_EXPIRY: return "no expiry";
	case EXEMPTION_NO_OWNER: return "no owner";
	}
	return "active";
}

int exemption_status_fails(enum exemption_status status)
{
	return status == EXEMPTION_EXPIRED || status == EXEMPTION_NO_EXPIRY ||
	       status == EXEMPTION_NO_OWNER;
}

enum exemption_status exemptions_status(const json_t *live, int64_t now_ms, int64_t within_ms)
{
	const char *expires = jsonutil_path_string(live, "properties.expiresOn");
	const char *owner = jsonutil_path_string(live, "properties.metadata.owner");
	int64_t at = 0;
	int has_expiry = expires && *expires && !exemptions_parse_time(expires, &at);

	if (has_expiry && at <= now_ms)
		return EXEMPTION_EXPIRED;
	if (!has_expiry)
		return EXEMPTION_NO_EXPIRY;
	if (!owner || !*owner)
		return EXEMPTION_NO_OWNER;
	if (at - now_ms <= within_ms)
		return EXEMPTION_EXPIRING;
	return EXEMPTION_ACTIVE;
}

int exemptions_is_managed(const json_t *live)
{
	const char *by = jsonutil_path_string(live, "properties.metadata.managedBy");
	return by && !strcmp(by, EXEMPTIONS_MARKER);
}

/* ---- loading ---- */

struct loader {
	const struct exemptions_context *ctx;
	const char *path;
	struct strbuf *err;
	struct strbuf *warnings;
	struct string_list reference_ids; /* the initiative's members */
	struct exemption_file *out;
	int errors;
};

/* Appends "FILE:ENTRY: " to sb for entry (index counted from 0). */
static void entry_prefix(struct loader *ld, struct strbuf *sb, const json_t *entry, size_t index)
{
	const char *name = json_string_value(json_object_get(entry, "name"));
	strbuf_addf(sb, "%s:", ld->path);
	if (name && *name)
		strbuf_addstr(sb, name);
	else
		strbuf_addf(sb, "#%zu", index + 1);
	strbuf_addstr(sb, ": ");
}

static void problem(struct loader *ld, const json_t *entry, size_t index, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void problem(struct loader *ld, const json_t *entry, size_t index, const char *fmt, ...)
{
	va_list ap;
	if (ld->err->len)
		strbuf_addch(ld->err, '\n');
	entry_prefix(ld, ld->err, entry, index);
	va_start(ap, fmt);
	strbuf_vaddf(ld->err, fmt, ap);
	va_end(ap);
	ld->errors++;
}

/* What entry_string returns for a value of the wrong type (already reported). */
static const char wrong_type[] = "";
#define GIVEN(s) ((s) && (s) != wrong_type)

/* The entry's string key; NULL when absent or empty; wrong_type (reported) for a non-string. */
static const char *entry_string(struct loader *ld, const json_t *entry, size_t index,
				const char *key)
{
	const json_t *v = json_object_get(entry, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		problem(ld, entry, index, "'%s' must be a string", key);
		return wrong_type;
	}
	return *json_string_value(v) ? json_string_value(v) : NULL;
}

static int valid_name(const char *name)
{
	size_t i, len = strlen(name);
	if (!len || len > NAME_MAX_LEN || name[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.()", name[i]))
			return 0;
	return 1;
}

static int under(const char *scope, const char *parent)
{
	size_t n = strlen(parent);
	return !strncasecmp(scope, parent, n) && (!scope[n] || scope[n] == '/');
}

static int valid_scope_syntax(const char *scope)
{
	const char *p;
	if (strncasecmp(scope, "/subscriptions/", 15) && strncasecmp(scope, MG_PREFIX, strlen(MG_PREFIX)))
		return 0;
	for (p = scope; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '?' || *p == '#' || (p[0] == '/' && p[1] == '/'))
			return 0;
	return scope[strlen(scope) - 1] != '/';
}

/*
 * The assignment (index into set->assignment_ids) whose scope holds scope, or -1. A
 * management group's assignment takes every scope (checked later against its subscriptions).
 */
static long assignment_for(const struct deploy_set *set, const char *scope)
{
	size_t i;
	for (i = 0; i < set->assignment_scopes.nr; i++) {
		const char *a = set->assignment_scopes.items[i];
		if (under(scope, a) || !strncasecmp(a, MG_PREFIX, strlen(MG_PREFIX)))
			return (long)i;
	}
	return -1;
}

static void list_joined(struct strbuf *sb, const struct string_list *list)
{
	size_t i;
	for (i = 0; i < list->nr; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", list->items[i]);
}

/*
 * The initiative's members: every scope renders the same initiative, so the first scope's
 * (rendered now when the set holds ids alone) tells them. 0, or -1 with a line in err.
 */
static int collect_reference_ids(struct loader *ld)
{
	struct deploy_set first = DEPLOY_SET_INIT;
	struct strbuf why = STRBUF_INIT;
	size_t i, j;
	int ret = 0;

	if (!ld->ctx->set->assignment_scopes.nr)
		return 0;
	if (deploy_set_scope(ld->ctx->set, 0, &first, &why)) {
		strbuf_addf(ld->err, "%s: cannot render the initiative to check members: %s",
			    ld->path, why.buf);
		ret = -1;
		goto out;
	}
	for (i = 0; i < first.nr; i++) {
		json_t *members, *m;
		if (first.resources[i].kind != DEPLOY_POLICY_SET_DEFINITION)
			continue;
		members = jsonutil_path(first.resources[i].body, "properties.policyDefinitions");
		json_array_foreach(members, j, m) {
			const char *ref = json_string_value(json_object_get(m, "policyDefinitionReferenceId"));
			if (ref && !string_list_has(&ld->reference_ids, ref))
				string_list_append(&ld->reference_ids, ref);
		}
	}
out:
	deploy_set_release(&first);
	strbuf_release(&why);
	return ret;
}

/* The initiative's spelling of ref (borrowed), or NULL when it has no such member. */
static const char *known_reference(struct loader *ld, const char *ref)
{
	size_t i;
	for (i = 0; i < ld->reference_ids.nr; i++)
		if (!strcasecmp(ld->reference_ids.items[i], ref))
			return ld->reference_ids.items[i];
	return NULL;
}

/* The entry's members as a new array (empty: all), or NULL after a problem. */
static json_t *entry_members(struct loader *ld, const json_t *entry, size_t index)
{
	const json_t *v = json_object_get(entry, "members"), *m;
	json_t *out = json_array();
	size_t i;
	if (!v || json_is_null(v))
		return out;
	if (!json_is_array(v)) {
		problem(ld, entry, index, "'members' must be an array of reference ids");
		goto bad;
	}
	json_array_foreach(v, i, m) {
		const char *ref = json_string_value(m);
		if (!ref || !*ref) {
			problem(ld, entry, index, "'members' must be an array of reference ids");
			goto bad;
		}
		if (!known_reference(ld, ref)) {
			struct strbuf known = STRBUF_INIT;
			list_joined(&known, &ld->reference_ids);
			problem(ld, entry, index, "unknown member '%s': expected one of the initiative's "
				"reference ids: %s", ref, known.buf);
			strbuf_release(&known);
			goto bad;
		}
		json_array_append_new(out, json_string(known_reference(ld, ref)));
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

static void add_want(struct loader *ld, const char *entry_name, const char *name,
		     const char *scope, long assignment, int64_t expires_ms, json_t *body)
{
	struct exemption_file *f = ld->out;
	struct exemption_want *w;
	struct strbuf id = STRBUF_INIT;
	f->wants = xrealloc(f->wants, (f->nr + 1) * sizeof(*f->wants));
	w = &f->wants[f->nr++];
	memset(w, 0, sizeof(*w));
	w->entry = xstrdup(entry_name);
	w->name = xstrdup(name);
	w->scope = xstrdup(scope);
	strbuf_addf(&id, "%s" AUTHZ_EXEMPTIONS "%s", scope, name);
	w->id = strbuf_detach(&id, NULL);
	w->assignment_id = xstrdup(ld->ctx->set->assignment_ids.items[assignment]);
	w->expires_ms = expires_ms;
	w->body = body;
}

/* The PUT body of one exemption of entry (new). */
static json_t *want_body(const char *assignment_id, json_t *members, const char *category,
			 int64_t expires_ms, const char *entry_name, const char *owner,
			 const char *reason, const char *ticket, const json_t *selectors)
{
	struct strbuf at = STRBUF_INIT;
	json_t *meta, *props, *body;
	exemptions_format_time(expires_ms, &at);
	meta = json_pack("{s:s, s:s, s:s, s:s}", "managedBy", EXEMPTIONS_MARKER, "entry", entry_name,
			 "owner", owner, "reason", reason);
	if (ticket)
		json_object_set_new(meta, "ticket", json_string(ticket));
	props = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:o}", "policyAssignmentId", assignment_id,
			  "policyDefinitionReferenceIds", members, "exemptionCategory", category,
			  "expiresOn", at.buf, "displayName", entry_name, "description", reason,
			  "metadata", meta);
	if (selectors)
		json_object_set(props, "resourceSelectors", (json_t *)selectors);
	body = json_pack("{s:o}", "properties", props);
	strbuf_release(&at);
	return body;
}

static void load_entry(struct loader *ld, const json_t *list, const json_t *entry, size_t index)
{
	const struct config *cfg = ld->ctx->cfg;
	const char *key, *name, *owner, *reason, *ticket, *category, *expires, *scope;
	const json_t *value, *resources, *selectors;
	json_t *members = NULL;
	struct string_list scopes = STRING_LIST_INIT;
	int64_t expires_ms = 0;
	int before = ld->errors;
	size_t i;

	if (!json_is_object(entry)) {
		problem(ld, entry, index, "expected an object");
		return;
	}
	json_object_foreach((json_t *)entry, key, value) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(entry_keys); k++)
			if (!strcmp(key, entry_keys[k]))
				break;
		if (k == ARRAY_SIZE(entry_keys)) {
			struct strbuf known = STRBUF_INIT;
			for (k = 0; k < ARRAY_SIZE(entry_keys); k++)
				strbuf_addf(&known, "%s%s", k ? ", " : "", entry_keys[k]);
			problem(ld, entry, index, "unknown key '%s': expected one of %s", key, known.buf);
			strbuf_release(&known);
		}
	}
	name = entry_string(ld, entry, index, "name");
	owner = entry_string(ld, entry, index, "owner");
	reason = entry_string(ld, entry, index, "reason");
	ticket = entry_string(ld, entry, index, "ticket");
	category = entry_string(ld, entry, index, "category");
	expires = entry_string(ld, entry, index, "expires");
	scope = entry_string(ld, entry, index, "scope");
	resources = json_object_get(entry, "resources");
	selectors = json_object_get(entry, "resourceSelectors");

	if (!name)
		problem(ld, entry, index, "'name' is required: the exemption's name in Azure");
	else if (GIVEN(name) && !valid_name(name))
		problem(ld, entry, index, "'name' must be 1 to %d letters, digits and -_.() "
			"(not ending in '.')", NAME_MAX_LEN);
	else
		for (i = 0; i < index; i++) {
			const char *other = json_string_value(json_object_get(json_array_get(list, i),
									      "name"));
			if (other && !strcmp(other, name)) {
				problem(ld, entry, index, "'name' is used by entry #%zu too: names must "
					"be unique", i + 1);
				break;
			}
		}
	if (!owner)
		problem(ld, entry, index, "'owner' is required: who answers for this exemption "
			"(a person or a team)");
	if (!reason)
		problem(ld, entry, index, "'reason' is required: why the control cannot apply here");
	if (!ticket && cfg->exemptions_require_ticket)
		problem(ld, entry, index, "'ticket' is required ([exemptions] require_ticket = true)");
	if (GIVEN(category) && strcmp(category, "Waiver") && strcmp(category, "Mitigated"))
		problem(ld, entry, index, "'category' must be Waiver or Mitigated, got '%s'", category);
	if (!expires) {
		problem(ld, entry, index, "'expires' is required: a date (2027-03-31) or a UTC "
			"date-time (2027-03-31T12:00:00Z)");
	} else if (!GIVEN(expires)) {
		/* reported */
	} else if (exemptions_parse_time(expires, &expires_ms)) {
		problem(ld, entry, index, "'expires' must be a date (2027-03-31) or a UTC date-time "
			"(2027-03-31T12:00:00Z), got '%s'", expires);
	} else if (expires_ms <= ld->ctx->now_ms) {
		if (ld->ctx->allow_expired) {
			if (ld->warnings->len)
				strbuf_addch(ld->warnings, '\n');
			entry_prefix(ld, ld->warnings, entry, index);
			strbuf_addf(ld->warnings, "expired on %s: apply refuses it; remove the entry "
				    "(apply then deletes its exemption) or extend it", expires);
		} else {
			problem(ld, entry, index, "'expires' %s is in the past: remove the entry (apply "
				"then deletes its exemption) or extend it", expires);
		}
	} else if (expires_ms - ld->ctx->now_ms > cfg->exemptions_max_duration) {
		struct strbuf max = STRBUF_INIT;
		format_duration(cfg->exemptions_max_duration, &max);
		problem(ld, entry, index, "'expires' %s is more than [exemptions] max_duration (%s) "
			"from now", expires, max.buf);
		strbuf_release(&max);
	}
	if (selectors && !json_is_array(selectors))
		problem(ld, entry, index, "'resourceSelectors' must be an array (Azure's resource "
			"selectors)");

	/* the scopes: one, or one per resource */
	if (scope == wrong_type) {
		/* reported */
	} else if (scope && resources && !json_is_null(resources)) {
		problem(ld, entry, index, "expected 'scope' or 'resources', not both");
	} else if (scope) {
		string_list_append(&scopes, scope);
	} else if (json_is_array(resources) && json_array_size(resources)) {
		json_array_foreach(resources, i, value) {
			if (!json_string_value(value) || !*json_string_value(value)) {
				problem(ld, entry, index, "'resources' must be an array of resource ids");
				break;
			}
			string_list_append(&scopes, json_string_value(value));
		}
	} else if (resources && !json_is_null(resources)) {
		problem(ld, entry, index, "'resources' must be a non-empty array of resource ids");
	} else {
		problem(ld, entry, index, "expected 'scope' (one id) or 'resources' (resource ids): "
			"what the exemption covers");
	}
	for (i = 0; i < scopes.nr; i++) {
		if (!valid_scope_syntax(scopes.items[i])) {
			problem(ld, entry, index, "'%s' is not a resource id: expected /subscriptions/... "
				"or " MG_PREFIX "...", scopes.items[i]);
		} else if (assignment_for(ld->ctx->set, scopes.items[i]) < 0) {
			problem(ld, entry, index, "scope '%s' is outside the assignment: expected a scope "
				"at or under %s", scopes.items[i],
				ld->ctx->set->assignment_scopes.nr == 1
				? ld->ctx->set->assignment_scopes.items[0] : "one of [scope] subscriptions");
		}
	}
	if (name && scopes.nr > 1 && strlen(name) + HASH_SUFFIX_LEN > NAME_MAX_LEN)
		problem(ld, entry, index, "'name' of an entry with several resources must be at most "
			"%d characters (each exemption's name adds -xxxxxxxx)",
			NAME_MAX_LEN - HASH_SUFFIX_LEN);
	members = entry_members(ld, entry, index);
	if (ld->errors != before || !members)
		goto out;

	for (i = 0; i < scopes.nr; i++) {
		struct strbuf azure_name = STRBUF_INIT, lower = STRBUF_INIT;
		long a = assignment_for(ld->ctx->set, scopes.items[i]);
		const char *assignment_id = ld->ctx->set->assignment_ids.items[a];
		strbuf_addstr(&azure_name, name);
		if (scopes.nr > 1) {
			char hex[DIGEST_SHA256_HEX_SIZE];
			const char *p;
			/* stable whatever the order of the list: from the id, lower-cased as ARM does */
			for (p = scopes.items[i]; *p; p++)
				strbuf_addch(&lower, tolower((unsigned char)*p));
			digest_sha256_hex(lower.buf, lower.len, hex);
			strbuf_addf(&azure_name, "-%.8s", hex);
		}
		add_want(ld, name, azure_name.buf, scopes.items[i], a, expires_ms,
			 want_body(assignment_id, members, category ? category : "Waiver", expires_ms,
				   name, owner, reason, ticket, json_is_array(selectors) ? selectors : NULL));
		strbuf_release(&azure_name);
		strbuf_release(&lower);
	}
out:
	json_decref(members);
	string_list_clear(&scopes);
}

static void check_duplicates(struct loader *ld)
{
	size_t i, j;
	for (i = 0; i < ld->out->nr; i++)
		for (j = 0; j < i; j++)
			if (!strcasecmp(ld->out->wants[i].id, ld->out->wants[j].id)) {
				if (ld->err->len)
					strbuf_addch(ld->err, '\n');
				if (!strcmp(ld->out->wants[i].entry, ld->out->wants[j].entry))
					strbuf_addf(ld->err, "%s:%s: '%s' is listed twice", ld->path,
						    ld->out->wants[i].entry, ld->out->wants[i].scope);
				else
					strbuf_addf(ld->err, "%s:%s: the name is also used by entry '%s' "
						    "at the same scope: names must be unique per scope",
						    ld->path, ld->out->wants[i].entry,
						    ld->out->wants[j].entry);
				ld->errors++;
				break;
			}
}

enum exemptions_result exemptions_load(const struct exemptions_context *ctx,
				       struct exemption_file *out, struct strbuf *err,
				       struct strbuf *warnings)
{
	struct loader ld;
	json_t *doc = NULL, *list, *entry;
	enum exemptions_result ret = EXEMPTIONS_ERR_INVALID;
	size_t i;

	memset(&ld, 0, sizeof(ld));
	memset(out, 0, sizeof(*out));
	ld.ctx = ctx;
	ld.path = ctx->cfg->exemptions_file;
	ld.err = err;
	ld.warnings = warnings;
	ld.out = out;
	if (!ld.path)
		return EXEMPTIONS_OK; /* no file: policyctl manages none */
	out->path = xstrdup(ld.path);
	{
		FILE *f = fopen(ld.path, "r");
		if (!f) {
			strbuf_addf(err, "cannot read '%s': %s", ld.path, strerror(errno));
			ret = EXEMPTIONS_ERR_IO;
			goto out;
		}
		fclose(f);
	}
	doc = jsonutil_load_file(ld.path, err);
	if (!doc)
		goto out;
	list = json_object_get(doc, "exemptions");
	if (!json_is_object(doc) || !json_is_array(list)) {
		strbuf_addf(err, "%s: expected an object with an array 'exemptions' "
			    "(docs/exemptions.schema.json)", ld.path);
		goto out;
	}
	{
		const char *key;
		json_t *v;
		json_object_foreach(doc, key, v) {
			if (strcmp(key, "exemptions") && strcmp(key, "$schema")) {
				strbuf_addf(err, "%s: unknown key '%s': expected 'exemptions' (and "
					    "'$schema')", ld.path, key);
				goto out;
			}
		}
	}
	if (collect_reference_ids(&ld))
		goto out;
	json_array_foreach(list, i, entry)
		load_entry(&ld, list, entry, i);
	if (!ld.errors)
		check_duplicates(&ld);
	if (ld.errors)
		goto out;
	ret = EXEMPTIONS_OK;
out:
	if (ret != EXEMPTIONS_OK)
		exemption_file_release(out);
	string_list_clear(&ld.reference_ids);
	json_decref(doc);
	return ret;
}

int exemptions_check_scopes(const struct exemption_file *file, const struct deploy_set *set,
			    const struct string_list *subscriptions, struct strbuf *err)
{
	size_t i, j;
	int ret = 0;
	for (i = 0; i < file->nr; i++) {
		const struct exemption_want *w = &file->wants[i];
		int inside = 0;
		for (j = 0; j < set->assignment_scopes.nr && !inside; j++)
			inside = under(w->scope, set->assignment_scopes.items[j]);
		for (j = 0; j < subscriptions->nr && !inside; j++) {
			struct strbuf sub = STRBUF_INIT;
			strbuf_addf(&sub, "/subscriptions/%s", subscriptions->items[j]);
			inside = under(w->scope, sub.buf);
			strbuf_release(&sub);
		}
		if (inside)
			continue;
		if (err->len)
			strbuf_addch(err, '\n');
		strbuf_addf(err, "%s:%s: scope '%s' is outside the assignment: expected a scope at "
			    "or under %s or one of its subscriptions", file->path, w->entry, w->scope,
			    set->assignment_scopes.nr ? set->assignment_scopes.items[0] : "");
		ret = -1;
	}
	return ret;
}

void exemption_file_release(struct exemption_file *file)
{
	size_t i;
	for (i = 0; i < file->nr; i++) {
		struct exemption_want *w = &file->wants[i];
		free(w->entry);
		free(w->name);
		free(w->scope);
		free(w->id);
		free(w->assignment_id);
		json_decref(w->body);
	}
	free(file->wants);
	free(file->path);
	memset(file, 0, sizeof(*file));
}

/* ---- comparison ---- */

static void add_field(struct strbuf *fields, const char *name)
{
	if (fields)
		strbuf_addf(fields, "%s%s", fields->len ? ", " : "", name);
}

static int same_string(const json_t *a, const json_t *b, int ci)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	if (!x || !*x || !y || !*y)
		return (!x || !*x) && (!y || !*y);
	return ci ? !strcasecmp(x, y) : !strcmp(x, y);
}

static int same_id_set(const json_t *a, const json_t *b)
{
	size_t i, j, na = json_array_size(a), nb = json_array_size(b);
	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		int found = 0;
		for (j = 0; j < nb && !found; j++)
			found = same_string(json_array_get(a, i), json_array_get(b, j), 1);
		if (!found)
			return 0;
	}
	return 1;
}

static int same_time(const json_t *a, const json_t *b)
{
	int64_t x, y;
	if (exemptions_parse_time(json_string_value(a), &x) ||
	    exemptions_parse_time(json_string_value(b), &y))
		return same_string(a, b, 0);
	return x / 1000 == y / 1000;
}

static int same_selectors(const json_t *a, const json_t *b)
{
	if (!json_array_size(a) && !json_array_size(b))
		return 1;
	return json_equal((json_t *)a, (json_t *)b);
}

static int same_validation(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	return !strcasecmp(x ? x : "Default", y ? y : "Default");
}

enum exemption_change exemptions_compare(const struct exemption_want *want, const json_t *live,
					 struct strbuf *fields)
{
	static const char *const meta_keys[] = { "managedBy", "entry", "owner", "reason", "ticket" };
	const json_t *d = json_object_get(want->body, "properties");
	const json_t *l = json_object_get(live, "properties");
	const json_t *dm = json_object_get(d, "metadata"), *lm = json_object_get(l, "metadata");
	int put = 0, patch = 0;
	size_t i;

#define DIFF(cond, field, is_put) do { if (!(cond)) { add_field(fields, field); \
		if (is_put) put = 1; else patch = 1; } } while (0)
	DIFF(same_string(json_object_get(d, "policyAssignmentId"),
			 json_object_get(l, "policyAssignmentId"), 1), "policyAssignmentId", 1);
	DIFF(same_id_set(json_object_get(d, "policyDefinitionReferenceIds"),
			 json_object_get(l, "policyDefinitionReferenceIds")),
	     "policyDefinitionReferenceIds", 1);
	DIFF(same_string(json_object_get(d, "exemptionCategory"),
			 json_object_get(l, "exemptionCategory"), 1), "exemptionCategory", 1);
	DIFF(same_time(json_object_get(d, "expiresOn"), json_object_get(l, "expiresOn")),
	     "expiresOn", 1);
	DIFF(same_string(json_object_get(d, "displayName"), json_object_get(l, "displayName"), 0),
	     "displayName", 1);
	DIFF(same_string(json_object_get(d, "description"), json_object_get(l, "description"), 0),
	     "description", 1);
	for (i = 0; i < ARRAY_SIZE(meta_keys); i++) {
		struct strbuf f = STRBUF_INIT;
		strbuf_addf(&f, "metadata.%s", meta_keys[i]);
		DIFF(same_string(json_object_get(dm, meta_keys[i]), json_object_get(lm, meta_keys[i]), 0),
		     f.buf, 1);
		strbuf_release(&f);
	}
	DIFF(same_selectors(json_object_get(d, "resourceSelectors"),
			    json_object_get(l, "resourceSelectors")), "resourceSelectors", 0);
	DIFF(same_validation(json_object_get(d, "assignmentScopeValidation"),
			     json_object_get(l, "assignmentScopeValidation")),
	     "assignmentScopeValidation", 0);
#undef DIFF
	return put ? EXEMPTION_PUT : patch ? EXEMPTION_PATCH : EXEMPTION_SAME;
}

json_t *exemptions_patch_body(const struct exemption_want *want)
{
	const json_t *d = json_object_get(want->body, "properties");
	const json_t *sel = json_object_get(d, "resourceSelectors");
	const json_t *val = json_object_get(d, "assignmentScopeValidation");
	json_t *props = json_object();
	json_object_set_new(props, "resourceSelectors", sel ? json_deep_copy(sel) : json_array());
	json_object_set_new(props, "assignmentScopeValidation",
			    val ? json_deep_copy(val) : json_string("Default"));
	return json_pack("{s:o}", "properties", props);
}

/* ---- output ---- */

int exemptions_parse_format(const char *name, enum exemptions_format *format)
{
	static const char *const names[] = { "table", "json", "markdown", "csv" };
	size_t i;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i])) {
			*format = (enum exemptions_format)i;
			return 0;
		}
	return -1;
}

static const char *field_of(const json_t *ex, const char *key)
{
	const char *s = json_string_value(json_object_get(ex, key));
	return s ? s : "";
}

/* The cell text of column key: strings as they are, managed as yes/no, resources joined. */
static void cell(const json_t *ex, const char *key, const char *join, struct strbuf *sb)
{
	const json_t *v = json_object_get(ex, key);
	size_t i;
	json_t *item;
	if (json_is_boolean(v)) {
		strbuf_addstr(sb, json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			strbuf_addf(sb, "%s%s", i ? join : "", json_string_value(item) ?
				    json_string_value(item) : "");
	} else {
		strbuf_addstr(sb, field_of(ex, key));
	}
}

static const char *const columns[] = {
	"name", "status", "expiresOn", "owner", "managed", "category", "ticket", "scope",
	"resources",
};

static void render_csv(const json_t *list, struct strbuf *out)
{
	size_t i, c;
	json_t *ex;
	for (c = 0; c < ARRAY_SIZE(columns); c++)
		strbuf_addf(out, "%s%s", c ? "," : "", columns[c]);
	strbuf_addstr(out, "\r\n");
	json_array_foreach(list, i, ex) {
		for (c = 0; c < ARRAY_SIZE(columns); c++) {
			struct strbuf v = STRBUF_INIT;
			const char *p;
			cell(ex, columns[c], " ", &v);
			if (c)
				strbuf_addch(out, ',');
			strbuf_addch(out, '"');
			if (v.len && strchr("=+-@", v.buf[0]))
				strbuf_addch(out, '\''); /* not a formula in a spreadsheet */
			for (p = v.buf; *p; p++) {
				if (*p == '"')
					strbuf_addch(out, '"');
				strbuf_addch(out, *p);
			}
			strbuf_addch(out, '"');
			strbuf_release(&v);
		}
		strbuf_addstr(out, "\r\n");
	}
}

/* Markdown-escapes text into out: table pipes, HTML and emphasis characters; newlines to spaces. */
static void markdown_escape(struct strbuf *out, const char *text)
{
	const char *p;
	for (p = text; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			strbuf_addch(out, ' ');
			continue;
		}
		if (strchr("|\\<>`*_[]", *p))
			strbuf_addch(out, '\\');
		strbuf_addch(out, *p);
	}
}

static void render_markdown(const json_t *list, struct strbuf *out)
{
	size_t i, c, j;
	json_t *ex, *r;
	strbuf_addstr(out, "| exemption | status | expires | owner | managed | category | ticket | "
		      "scope | exempt resources |\n|---|---|---|---|---|---|---|---|---|\n");
	json_array_foreach(list, i, ex) {
		strbuf_addch(out, '|');
		for (c = 0; c < ARRAY_SIZE(columns); c++) {
			strbuf_addch(out, ' ');
			if (!strcmp(columns[c], "resources")) {
				json_array_foreach(json_object_get(ex, "resources"), j, r) {
					if (j)
						strbuf_addstr(out, "<br>");
					markdown_escape(out, json_string_value(r) ? json_string_value(r) : "");
				}
			} else {
				struct strbuf v = STRBUF_INIT;
				cell(ex, columns[c], " ", &v);
				markdown_escape(out, v.buf);
				strbuf_release(&v);
			}
			strbuf_addstr(out, " |");
		}
		strbuf_addch(out, '\n');
	}
}

static void render_table(const json_t *list, struct strbuf *out)
{
	size_t i, j;
	json_t *ex, *r;
	if (!json_array_size(list)) {
		strbuf_addstr(out, "no exemptions of the assignment\n");
		return;
	}
	strbuf_addf(out, "%-32s %-10s %-20s %-24s %-8s %s\n", "EXEMPTION", "STATUS", "EXPIRES",
		    "OWNER", "MANAGED", "SCOPE");
	json_array_foreach(list, i, ex) {
		struct strbuf name = STRBUF_INIT, owner = STRBUF_INIT, scope = STRBUF_INIT;
		const json_t *res = json_object_get(ex, "resources");
		msg_escape_into(&name, field_of(ex, "name"));
		msg_escape_into(&owner, *field_of(ex, "owner") ? field_of(ex, "owner") : "-");
		msg_escape_into(&scope, field_of(ex, "scope"));
		strbuf_addf(out, "%-32s %-10s %-20s %-24s %-8s %s\n", name.buf, field_of(ex, "status"),
			    *field_of(ex, "expiresOn") ? field_of(ex, "expiresOn") : "-", owner.buf,
			    json_is_true(json_object_get(ex, "managed")) ? "yes" : "no", scope.buf);
		json_array_foreach(res, j, r) {
			strbuf_addstr(out, "    exempt ");
			msg_escape_into(out, json_string_value(r) ? json_string_value(r) : "");
			strbuf_addch(out, '\n');
		}
		strbuf_release(&name);
		strbuf_release(&owner);
		strbuf_release(&scope);
	}
}

void exemptions_render(const json_t *list, enum exemptions_format format, struct strbuf *out)
{
	switch (format) {
	case EXEMPTIONS_JSON:
		jsonutil_add_pretty(out, list);
		break;
	case EXEMPTIONS_MARKDOWN:
		render_markdown(list, out);
		break;
	case EXEMPTIONS_CSV:
		render_csv(list, out);
		break;
	case EXEMPTIONS_TABLE:
		render_table(list, out);
		break;
	}
}
