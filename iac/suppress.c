/*
 * suppress — markers and the suppressions file (see suppress.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iac/jsonpos.h"
#include "iac/rules.h"
#include "iac/suppress.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define SUPPRESS_FILE_CAP ((size_t)16 << 20)

int suppress_valid_date(const char *date)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, year, month, day, max;
	if (strlen(date) != 10 || date[4] != '-' || date[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)date[i]))
			return 0;
	year = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
	month = (date[5] - '0') * 10 + (date[6] - '0');
	day = (date[8] - '0') * 10 + (date[9] - '0');
	if (month < 1 || month > 12 || day < 1)
		return 0;
	max = days[month - 1];
	if (month == 2 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		max = 28;
	return day <= max;
}

static int rule_matches(const char *pattern, enum iac_rule rule)
{
	const struct iac_rule_info *info = iac_rule_info(rule);
	return !strcmp(pattern, "*") || !strcasecmp(pattern, info->id) ||
	       !strcasecmp(pattern, info->name);
}

/* Suppressions never hide the findings about suppressions themselves. */
static int suppressible(enum iac_rule rule)
{
	return rule != IAC_RULE_SUPPRESSION_EXPIRED && rule != IAC_RULE_SUPPRESSION_INVALID;
}

static struct iac_suppression *suppression_new(enum iac_suppression_kind kind, const char *owner,
					       const char *expires, const char *reason,
					       const char *where)
{
	struct iac_suppression *s = xcalloc(1, sizeof(*s));
	s->kind = kind;
	s->owner = xstrdup(owner);
	s->expires = xstrdup(expires);
	s->reason = xstrdup(reason ? reason : "");
	s->where = xstrdup(where);
	return s;
}

/* ---- inline markers ---- */

struct marker {
	struct strbuf rules, owner, expires, reason;
};

/* Parses "RULES owner=X expires=D reason=TEXT"; returns 0 or -1 with why set. */
static int parse_marker(const char *text, struct marker *m, struct strbuf *why)
{
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p))
		strbuf_addch(&m->rules, *p++);
	while (*p) {
		const char *key, *eq;
		struct strbuf *dest = NULL;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		key = p;
		eq = strchr(p, '=');
		if (!eq) {
			strbuf_addf(why, "expected KEY=VALUE, got '%s'", p);
			return -1;
		}
		if ((size_t)(eq - key) == 6 && !strncmp(key, "reason", 6)) {
			strbuf_addstr(&m->reason, eq + 1);
			strbuf_trim(&m->reason);
			break;
		}
		if ((size_t)(eq - key) == 5 && !strncmp(key, "owner", 5))
			dest = &m->owner;
		else if ((size_t)(eq - key) == 7 && !strncmp(key, "expires", 7))
			dest = &m->expires;
		else {
			strbuf_addf(why, "unknown key '%.*s' (expected owner, expires, reason)",
				    (int)(eq - key), key);
			return -1;
		}
		strbuf_reset(dest);
		for (p = eq + 1; *p && !isspace((unsigned char)*p); p++)
			strbuf_addch(dest, *p);
	}
	if (!m->rules.len || strchr(m->rules.buf, '=')) {
		strbuf_addstr(why, "no rule id before owner= and expires=");
		return -1;
	}
	if (!m->owner.len) {
		strbuf_addstr(why, "no owner= (who accepted the risk)");
		return -1;
	}
	if (!m->expires.len) {
		strbuf_addstr(why, "no expires=YYYY-MM-DD");
		return -1;
	}
	if (!suppress_valid_date(m->expires.buf)) {
		strbuf_addf(why, "expires '%s' is not a date YYYY-MM-DD", m->expires.buf);
		return -1;
	}
	return 0;
}

static int finding_of_site(const struct iac_finding *f, const struct iac_site *site)
{
	size_t n = strlen(site->logical_id);
	return !strncmp(f->logical_id, site->logical_id, n) &&
	       (f->logical_id[n] == '\0' || f->logical_id[n] == '#');
}

void suppress_apply_markers(const struct iac_site *site, const char *file, const char *today,
			    struct iac_report *report, size_t first)
{
	size_t i, j, end = report->count;
	struct strbuf subject = STRBUF_INIT, where = STRBUF_INIT;

	if (site->source == IAC_SOURCE_TERRAFORM)
		strbuf_addstr(&subject, site->name);
	else
		strbuf_addf(&subject, "%s '%s'", site->type, site->name);
	strbuf_addf(&where, "%s:%u", file, site->pos.line);
	for (i = 0; i < site->marker_count; i++) {
		struct marker m = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
		struct strbuf why = STRBUF_INIT, id = STRBUF_INIT;
		char *rules = NULL, *save = NULL, *rule;

		strbuf_addf(&id, "%s#suppress%zu", site->logical_id, i);
		if (parse_marker(site->markers[i], &m, &why) < 0) {
			iac_report_add(report, IAC_RULE_SUPPRESSION_INVALID, file, site->pos,
				       subject.buf, site->name, id.buf,
				       "%s: suppression marker '%s' suppresses nothing: %s",
				       subject.buf, site->markers[i], why.buf);
			goto next;
		}
		if (strcmp(m.expires.buf, today) < 0) {
			iac_report_add(report, IAC_RULE_SUPPRESSION_EXPIRED, file, site->pos,
				       subject.buf, site->name, id.buf,
				       "%s: suppression of %s by %s expired on %s", subject.buf,
				       m.rules.buf, m.owner.buf, m.expires.buf);
			goto next;
		}
		rules = xstrdup(m.rules.buf);
		for (rule = strtok_r(rules, ",", &save); rule; rule = strtok_r(NULL, ",", &save)) {
			if (iac_rule_by_id(rule) < 0 && strcmp(rule, "*")) {
				iac_report_add(report, IAC_RULE_SUPPRESSION_INVALID, file, site->pos,
					       subject.buf, site->name, id.buf,
					       "%s: suppression marker names an unknown rule '%s'",
					       subject.buf, rule);
				continue;
			}
			for (j = first; j < end; j++) {
				struct iac_finding *f = &report->findings[j];
				if (f->suppression || !suppressible(f->rule) ||
				    !rule_matches(rule, f->rule) || !finding_of_site(f, site))
					continue;
				f->suppression = suppression_new(IAC_SUPPRESSED_INLINE, m.owner.buf,
								 m.expires.buf, m.reason.buf, where.buf);
			}
		}
next:
		free(rules);
		strbuf_release(&m.rules);
		strbuf_release(&m.owner);
		strbuf_release(&m.expires);
		strbuf_release(&m.reason);
		strbuf_release(&why);
		strbuf_release(&id);
	}
	strbuf_release(&subject);
	strbuf_release(&where);
}

/* ---- the suppressions file ---- */

static void entry_release(struct suppress_entry *e)
{
	free(e->rule);
	free(e->file);
	free(e->resource);
	free(e->owner);
	free(e->expires);
	free(e->reason);
	free(e->where);
}

void suppress_set_release(struct suppress_set *set)
{
	size_t i;
	for (i = 0; i < set->count; i++)
		entry_release(&set->entries[i]);
	free(set->entries);
	free(set->path);
	memset(set, 0, sizeof(*set));
}

/* The string member key of entry, or NULL; err set when present but not a string. */
static const char *member(json_t *entry, const char *key, int *bad)
{
	json_t *v = json_object_get(entry, key);
	if (v && !json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

enum suppress_result suppress_set_load(struct suppress_set *set, const char *path,
				       struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct json_doc doc = JSON_DOC_INIT;
	enum suppress_result ret = SUPPRESS_INVALID;
	json_t *list, *entry;
	size_t i;

	if (strbuf_read_file(&text, path, SUPPRESS_FILE_CAP) < 0) {
		strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		ret = SUPPRESS_UNREADABLE;
		goto out;
	}
	if (json_doc_parse(&doc, text.buf, text.len, path, err) != JSON_DOC_OK)
		goto out;
	list = json_object_get(doc.root, "suppressions");
	if (!json_is_array(list)) {
		strbuf_addf(err, "%s:1:1: expected an object with a \"suppressions\" array", path);
		goto out;
	}
	set->path = xstrdup(path);
	json_array_foreach(list, i, entry) {
		struct json_position pos;
		struct suppress_entry *e;
		const char *rule, *owner, *expires, *file, *resource, *reason;
		int bad = 0;

		json_doc_position(&doc, entry, &pos);
		if (!json_is_object(entry)) {
			json_doc_position(&doc, list, &pos);
			strbuf_addf(err, "%s:%u:%u: suppression %zu: expected an object", path,
				    pos.line, pos.column, i + 1);
			goto out;
		}
		rule = member(entry, "rule", &bad);
		owner = member(entry, "owner", &bad);
		expires = member(entry, "expires", &bad);
		file = member(entry, "file", &bad);
		resource = member(entry, "resource", &bad);
		reason = member(entry, "reason", &bad);
		if (bad) {
			strbuf_addf(err, "%s:%u:%u: suppression %zu: rule, owner, expires, file, "
				    "resource and reason must be strings", path, pos.line, pos.column, i + 1);
			goto out;
		}
		if (!rule || (strcmp(rule, "*") && iac_rule_by_id(rule) < 0)) {
			strbuf_addf(err, "%s:%u:%u: suppression %zu: expected \"rule\": a rule id "
				    "(PCTL001..PCTL007), a rule name or \"*\", got '%s'", path, pos.line,
				    pos.column, i + 1, rule ? rule : "");
			goto out;
		}
		if (!owner || !*owner) {
			strbuf_addf(err, "%s:%u:%u: suppression %zu: expected \"owner\" (who accepted "
				    "the risk)", path, pos.line, pos.column, i + 1);
			goto out;
		}
		if (!expires || !suppress_valid_date(expires)) {
			strbuf_addf(err, "%s:%u:%u: suppression %zu: expected \"expires\": a date "
				    "YYYY-MM-DD, got '%s'", path, pos.line, pos.column, i + 1,
				    expires ? expires : "");
			goto out;
		}
		ALLOC_GROW(set->entries, set->count + 1, set->alloc);
		e = &set->entries[set->count++];
		memset(e, 0, sizeof(*e));
		e->rule = xstrdup(rule);
		e->owner = xstrdup(owner);
		e->expires = xstrdup(expires);
		e->file = xstrdup(file ? file : "*");
		e->resource = xstrdup(resource ? resource : "*");
		e->reason = xstrdup(reason ? reason : "");
		e->pos = pos;
		{
			struct strbuf where = STRBUF_INIT;
			strbuf_addf(&where, "%s:%u", path, pos.line);
			e->where = strbuf_detach(&where, NULL);
		}
	}
	ret = SUPPRESS_OK;
out:
	if (ret != SUPPRESS_OK)
		suppress_set_release(set);
	json_doc_release(&doc);
	strbuf_release(&text);
	return ret;
}

void suppress_apply_file(const struct suppress_set *set, const char *today,
			 struct iac_report *report)
{
	size_t i, j, end = report->count;
	for (i = 0; i < set->count; i++) {
		const struct suppress_entry *e = &set->entries[i];
		if (strcmp(e->expires, today) < 0) {
			struct strbuf id = STRBUF_INIT, subject = STRBUF_INIT;
			strbuf_addf(&id, "suppressions#%zu:%s:%s:%s", i, e->rule, e->file, e->resource);
			strbuf_addf(&subject, "suppression %zu", i + 1);
			iac_report_add(report, IAC_RULE_SUPPRESSION_EXPIRED, set->path, e->pos,
				       subject.buf, e->resource, id.buf,
				       "suppression of %s for '%s' in '%s' by %s expired on %s",
				       e->rule, e->resource, e->file, e->owner, e->expires);
			strbuf_release(&id);
			strbuf_release(&subject);
			continue;
		}
		for (j = 0; j < end; j++) {
			struct iac_finding *f = &report->findings[j];
			if (f->suppression || !suppressible(f->rule) || !rule_matches(e->rule, f->rule) ||
			    fnmatch(e->file, f->file, 0) || fnmatch(e->resource, f->resource_name, 0))
				continue;
			f->suppression = suppression_new(IAC_SUPPRESSED_FILE, e->owner, e->expires,
							 e->reason, e->where);
		}
	}
}
