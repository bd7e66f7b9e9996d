/*
 * arm — shared ARM conventions (see arm.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Appends a path, percent-encoding each segment but keeping the slashes. */
static void add_path(struct strbuf *sb, const char *path)
{
	while (*path) {
		size_t n = strcspn(path, "/");
		if (n) {
			char *seg = xstrndup(path, n);
			strbuf_add_urlencoded(sb, seg);
			free(seg);
			path += n;
		}
		if (*path == '/')
			strbuf_addch(sb, *path++);
	}
}

int armsim_page_window(struct armsim_request *req, struct armsim_response *resp,
		    struct armsim_page *page)
{
	const char *skip = armsim_request_query(req, "$skipToken");
	const char *top_s = armsim_request_query(req, "$top");
	char *end;
	page->start = 0;
	page->limit = 0;
	page->size = (size_t)req->world->knobs.page_size;
	if (skip) {
		unsigned long v = strtoul(skip, &end, 10);
		if (*end || !*skip) {
			armsim_response_error(resp, 400, "InvalidSkipToken",
					      "The skip token '%s' is not valid.", skip);
			return -1;
		}
		page->start = v;
	}
	if (top_s) {
		unsigned long v = strtoul(top_s, &end, 10);
		if (*end || !*top_s || !v) {
			armsim_response_error(resp, 400, "InvalidTopParameter",
					      "The $top value '%s' is not valid.", top_s);
			return -1;
		}
		if (v < page->size)
			page->size = v;
		page->limit = v;
	}
	return 0;
}

int armsim_page_has(const struct armsim_page *page, size_t i)
{
	return i >= page->start && i - page->start < page->size && (!page->limit || i < page->limit);
}

void armsim_respond_window(struct armsim_request *req, struct armsim_response *resp,
			const struct armsim_page *page, json_t *page_items, size_t total,
			const char *next_key)
{
	json_t *body = json_pack("{s:o}", "value", page_items);
	if (page->limit && total > page->limit)
		total = page->limit;
	/* written so that a huge $skipToken cannot wrap around */
	if (page->start < total && total - page->start > page->size) {
		struct strbuf next = STRBUF_INIT;
		strbuf_addf(&next, "%s", req->base_url);
		add_path(&next, req->path);
		armsim_request_add_query(req, &next, "$skipToken");
		strbuf_addf(&next, "%s$skipToken=%zu", strchr(next.buf, '?') ? "&" : "?",
			    page->start + page->size);
		json_object_set_new(body, next_key, json_string(next.buf));
		strbuf_release(&next);
	}
	armsim_response_json(resp, 200, body);
}

void armsim_respond_page(struct armsim_request *req, struct armsim_response *resp, json_t *items,
		      const char *next_key)
{
	struct armsim_page page;
	size_t i, total = json_array_size(items);
	json_t *slice;
	if (armsim_page_window(req, resp, &page)) {
		json_decref(items);
		return;
	}
	slice = json_array();
	for (i = page.start; i < total && armsim_page_has(&page, i); i++)
		json_array_append(slice, json_array_get(items, i));
	json_decref(items);
	armsim_respond_window(req, resp, &page, slice, total, next_key);
}

const char *armsim_policy_name_problem(const char *name, size_t max_len)
{
	size_t len = strlen(name);
	if (!len)
		return "the name is empty";
	if (len > max_len)
		return "the name is too long";
	if (strpbrk(name, "<>*%&:\\?.+/"))
		return "the name contains one of the characters < > * % & : \\ ? . + /";
	if (name[len - 1] == ' ')
		return "the name ends with a space";
	return NULL;
}

static int seg_eq(const char *p, const char *lit, const char **rest)
{
	size_t n = strlen(lit);
	if (strncasecmp(p, lit, n))
		return 0;
	*rest = p + n;
	return 1;
}

/* Skips one non-empty segment; returns the char after it or NULL. */
static const char *skip_segment(const char *p)
{
	size_t n = strcspn(p, "/");
	return n ? p + n : NULL;
}

enum armsim_scope_kind armsim_scope_kind(const char *scope)
{
	const char *rest;
	if (!scope || !*scope || !strcmp(scope, "/"))
		return SCOPE_TENANT;
	if (seg_eq(scope, "/providers/Microsoft.Management/managementGroups/", &rest)) {
		rest = skip_segment(rest);
		return rest && !*rest ? SCOPE_MANAGEMENT_GROUP : SCOPE_INVALID;
	}
	if (seg_eq(scope, "/subscriptions/", &rest)) {
		rest = skip_segment(rest);
		if (!rest)
			return SCOPE_INVALID;
		if (!*rest)
			return SCOPE_SUBSCRIPTION;
		if (!seg_eq(rest, "/resourceGroups/", &rest))
			return SCOPE_INVALID;
		rest = skip_segment(rest);
		if (!rest)
			return SCOPE_INVALID;
		return *rest ? SCOPE_RESOURCE : SCOPE_RESOURCE_GROUP;
	}
	return SCOPE_INVALID;
}

int armsim_scope_exists(struct armsim_request *req, struct armsim_response *resp, const char *scope)
{
	const struct world *w = req->world;
	char sub[128];
	const char *p;
	size_t n;
	switch (armsim_scope_kind(scope)) {
	case SCOPE_TENANT:
		return 0;
	case SCOPE_MANAGEMENT_GROUP:
		p = scope + strlen("/providers/Microsoft.Management/managementGroups/");
		if (world_mg_get(w, p))
			return 0;
		armsim_response_error(resp, 404, "ManagementGroupNotFound",
				      "Management group '%s' not found.", p);
		return -1;
	case SCOPE_SUBSCRIPTION:
	case SCOPE_RESOURCE_GROUP:
	case SCOPE_RESOURCE:
		p = scope + strlen("/subscriptions/");
		n = strcspn(p, "/");
		if (n >= sizeof(sub))
			n = sizeof(sub) - 1;
		memcpy(sub, p, n);
		sub[n] = '\0';
		if (!world_subscription_get(w, sub)) {
			armsim_response_error(resp, 404, "SubscriptionNotFound",
					      "The subscription '%s' could not be found.", sub);
			return -1;
		}
		if (armsim_scope_kind(scope) == SCOPE_SUBSCRIPTION)
			return 0;
		if (armsim_scope_kind(scope) == SCOPE_RESOURCE_GROUP) {
			if (world_resource_get(w, scope))
				return 0;
			armsim_response_error(resp, 404, "ResourceGroupNotFound",
					      "Resource group '%s' could not be found.",
					      strrchr(scope, '/') + 1);
			return -1;
		}
		if (world_resource_get(w, scope))
			return 0;
		armsim_response_error(resp, 404, "ResourceNotFound",
				      "The Resource '%s' was not found.", scope);
		return -1;
	case SCOPE_INVALID:
		break;
	}
	armsim_response_error(resp, 400, "InvalidScope", "The scope '%s' is not valid.", scope);
	return -1;
}

/* Copies one clause's field: a name, or a whole call with its (possibly quoted) arguments. */
static const char *filter_field(const char *p, struct armsim_filter_clause *c, int *is_call)
{
	size_t n = 0;
	int depth = 0, quoted = 0;
	*is_call = 0;
	while (*p && (depth || quoted || *p != ' ')) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++, *is_call = 1;
		else if (!quoted && *p == ')' && depth)
			depth--;
		if (n + 1 < sizeof(c->field))
			c->field[n++] = *p;
		p++;
	}
	c->field[n] = '\0';
	return p;
}

int armsim_filter_parse(const char *text, struct armsim_filter *f, struct strbuf *err)
{
	const char *p = text;

	memset(f, 0, sizeof(*f));
	if (!text)
		return 0;
	while (*p) {
		struct armsim_filter_clause *c;
		size_t n = 0;
		int is_call;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (f->nr == ARRAY_SIZE(f->clauses)) {
			strbuf_addstr(err, "too many $filter clauses");
			return -1;
		}
		c = &f->clauses[f->nr];
		p = filter_field(p, c, &is_call);
		while (*p == ' ')
			p++;
		if (is_call) {
			c->op = ARMSIM_FILTER_CALL;
		} else {
			if (!strncasecmp(p, "eq ", 3))
				c->op = ARMSIM_FILTER_EQ;
			else if (!strncasecmp(p, "ne ", 3))
				c->op = ARMSIM_FILTER_NE;
			else {
				strbuf_addf(err, "unsupported $filter near '%s'", p);
				return -1;
			}
			p += 3;
			while (*p == ' ')
				p++;
			if (*p == '\'') {
				for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
					if (*p == '\'')
						p++;
					if (n + 1 < sizeof(c->value))
						c->value[n++] = *p;
				}
				if (*p != '\'') {
					strbuf_addstr(err, "unterminated string in $filter");
					return -1;
				}
				p++;
			} else {
				while (*p && *p != ' ' && n + 1 < sizeof(c->value))
					c->value[n++] = *p++;
			}
			while (*p == ' ')
				p++;
		}
		f->nr++;
		if (*p && strncasecmp(p, "and ", 4)) {
			strbuf_addf(err, "unsupported $filter near '%s' (only 'and' joins clauses)", p);
			return -1;
		}
		if (*p)
			p += 4;
	}
	return 0;
}

int armsim_filter_eq(const char *filter, const char *field, struct strbuf *out)
{
	struct armsim_filter f;
	struct strbuf err = STRBUF_INIT;
	size_t i;
	int parsed = !armsim_filter_parse(filter, &f, &err);
	strbuf_release(&err);
	if (!parsed)
		return 0;
	for (i = 0; i < f.nr; i++)
		if (f.clauses[i].op == ARMSIM_FILTER_EQ && !strcasecmp(f.clauses[i].field, field)) {
			strbuf_addstr(out, f.clauses[i].value);
			return 1;
		}
	return 0;
}

int armsim_filter_has_call(const char *filter, const char *name)
{
	struct armsim_filter f;
	struct strbuf err = STRBUF_INIT;
	size_t i, n = strlen(name);
	int parsed = !armsim_filter_parse(filter, &f, &err);
	strbuf_release(&err);
	if (!parsed)
		return 0;
	for (i = 0; i < f.nr; i++)
		if (f.clauses[i].op == ARMSIM_FILTER_CALL && !strncasecmp(f.clauses[i].field, name, n) &&
		    f.clauses[i].field[n] == '(')
			return 1;
	return 0;
}

void armsim_now_iso(char out[40])
{
	simclock_format_iso(simclock_now_ms(), out);
}

void armsim_set_system_data(struct armsim_request *req, json_t *body, const json_t *previous)
{
	char now[40];
	const char *who = req->caller ? req->caller->client_id : "armsim";
	json_t *prev = json_object_get(previous, "systemData"), *sd = json_object();
	static const char *const kept[] = { "createdBy", "createdByType", "createdAt" };
	size_t i;
	armsim_now_iso(now);
	if (json_is_object(prev)) {
		for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
			if (json_object_get(prev, kept[i]))
				json_object_set(sd, kept[i], json_object_get(prev, kept[i]));
	} else {
		json_object_set_new(sd, "createdBy", json_string(who));
		json_object_set_new(sd, "createdByType", json_string("Application"));
		json_object_set_new(sd, "createdAt", json_string(now));
	}
	json_object_set_new(sd, "lastModifiedBy", json_string(who));
	json_object_set_new(sd, "lastModifiedByType", json_string("Application"));
	json_object_set_new(sd, "lastModifiedAt", json_string(now));
	json_object_set_new(body, "systemData", sd);
}
