/*
 * finding — sites, findings and the report they accumulate in (see finding.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "iac/finding.h"
#include "iac/rules.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void iac_value_release(struct iac_value *v)
{
	json_decref(v->json);
	free(v->why);
	v->json = NULL;
	v->why = NULL;
	v->state = IAC_ABSENT;
}

void iac_value_set_known(struct iac_value *v, json_t *json)
{
	iac_value_release(v);
	v->state = IAC_KNOWN;
	v->json = json;
}

void iac_value_set_unknown(struct iac_value *v, const char *why)
{
	iac_value_release(v);
	v->state = IAC_UNKNOWN;
	v->why = xstrdup(why);
}

struct iac_site *iac_site_new(enum iac_source source, enum iac_site_kind kind, const char *type,
			      const char *name, const char *logical_id, struct json_position pos)
{
	struct iac_site *site = xcalloc(1, sizeof(*site));
	site->source = source;
	site->kind = kind;
	site->type = xstrdup(type);
	site->name = xstrdup(name);
	site->logical_id = xstrdup(logical_id);
	site->pos = pos;
	return site;
}

void iac_site_add_marker(struct iac_site *site, const char *marker)
{
	ALLOC_GROW(site->markers, site->marker_count + 1, site->marker_alloc);
	site->markers[site->marker_count++] = xstrdup(marker);
}

void iac_site_free(struct iac_site *site)
{
	size_t i;
	if (!site)
		return;
	free(site->type);
	free(site->name);
	free(site->logical_id);
	iac_value_release(&site->enabled);
	iac_value_release(&site->mode);
	iac_value_release(&site->exclusion_paths);
	iac_value_release(&site->http2);
	iac_value_release(&site->min_tls);
	free(site->condition_note);
	for (i = 0; i < site->marker_count; i++)
		free(site->markers[i]);
	free(site->markers);
	free(site);
}

void iac_site_list_add(struct iac_site_list *list, struct iac_site *site)
{
	ALLOC_GROW(list->items, list->count + 1, list->alloc);
	list->items[list->count++] = site;
}

void iac_site_list_release(struct iac_site_list *list)
{
	size_t i;
	for (i = 0; i < list->count; i++)
		iac_site_free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

struct iac_finding *iac_report_add(struct iac_report *report, enum iac_rule rule,
				   const char *file, struct json_position pos,
				   const char *subject, const char *resource_name,
				   const char *logical_id, const char *fmt, ...)
{
	struct iac_finding *f;
	struct strbuf message = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&message, fmt, ap);
	va_end(ap);
	ALLOC_GROW(report->findings, report->count + 1, report->alloc);
	f = &report->findings[report->count++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->file = xstrdup(file);
	f->pos = pos;
	f->subject = xstrdup(subject);
	f->resource_name = xstrdup(resource_name);
	f->logical_id = xstrdup(logical_id);
	f->message = strbuf_detach(&message, NULL);
	return f;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct iac_finding *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.column != y->pos.column)
		return x->pos.column < y->pos.column ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	c = strcmp(x->logical_id, y->logical_id);
	if (c)
		return c;
	return strcmp(x->message, y->message);
}

void iac_report_sort(struct iac_report *report)
{
	if (report->count > 1)
		qsort(report->findings, report->count, sizeof(*report->findings), finding_cmp);
}

size_t iac_report_failing(const struct iac_report *report)
{
	size_t i, n = 0;
	for (i = 0; i < report->count; i++)
		if (!report->findings[i].suppression &&
		    iac_rule_info(report->findings[i].rule)->level != IAC_LEVEL_NOTE)
			n++;
	return n;
}

void iac_suppression_free(struct iac_suppression *s)
{
	if (!s)
		return;
	free(s->owner);
	free(s->expires);
	free(s->reason);
	free(s->where);
	free(s);
}

void iac_report_release(struct iac_report *report)
{
	size_t i;
	for (i = 0; i < report->count; i++) {
		struct iac_finding *f = &report->findings[i];
		free(f->file);
		free(f->subject);
		free(f->resource_name);
		free(f->message);
		free(f->logical_id);
		iac_suppression_free(f->suppression);
	}
	free(report->findings);
	memset(report, 0, sizeof(*report));
}
