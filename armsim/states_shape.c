/*
 * states_shape — $apply, $orderby and $select of policyStates queryResults (see states_shape.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/states_shape.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* The columns of a policyStates record, in the case the records carry them. */
static const char *const columns[] = {
	"timestamp", "resourceId", "policyAssignmentId", "policyDefinitionId",
	"effectiveParameters", "isCompliant", "subscriptionId", "resourceType", "resourceLocation",
	"resourceGroup", "resourceTags", "policyAssignmentName", "policyAssignmentOwner",
	"policyAssignmentParameters", "policyAssignmentScope", "policyDefinitionName",
	"policyDefinitionAction", "policyDefinitionCategory", "policySetDefinitionId",
	"policySetDefinitionName", "policySetDefinitionOwner", "policySetDefinitionCategory",
	"policySetDefinitionParameters", "managementGroupIds", "policyDefinitionReferenceId",
	"complianceState", "policyDefinitionGroupNames", "policyDefinitionVersion",
	"policySetDefinitionVersion", "policyAssignmentVersion", "complianceReasonCode",
};

#define MAX_COLUMNS 16

struct column_list {
	const char *names[MAX_COLUMNS]; /* canonical (static) */
	int desc[MAX_COLUMNS];          /* $orderby only */
	size_t nr;
};

static const char *canonical(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		if (strlen(columns[i]) == len && !strncasecmp(columns[i], name, len))
			return columns[i];
	return NULL;
}

static const char *skip_space(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static size_t word_len(const char *p)
{
	size_t n = 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '$')
		n++;
	return n;
}

/* Accepts `lit` (case-insensitive) at *p, skipping spaces before it. */
static int eat(const char **p, const char *lit)
{
	const char *q = skip_space(*p);
	size_t n = strlen(lit);
	if (strncasecmp(q, lit, n))
		return 0;
	*p = q + n;
	return 1;
}

/*
 * Parses "Col [asc|desc], Col …" up to `stop` (or the end). with_order: accept asc/desc.
 * Returns 0, or -1 with err filled.
 */
static int parse_columns(const char **p, char stop, int with_order, struct column_list *out,
			 struct strbuf *err)
{
	out->nr = 0;
	for (;;) {
		const char *q = skip_space(*p), *name;
		size_t n = word_len(q);
		if (!n) {
			strbuf_addf(err, "a column name was expected at '%s'", q);
			return -1;
		}
		if (!(name = canonical(q, n))) {
			strbuf_addf(err, "'%.*s' is not a column of policy states", (int)n, q);
			return -1;
		}
		if (out->nr == MAX_COLUMNS) {
			strbuf_addf(err, "at most %d columns are supported", MAX_COLUMNS);
			return -1;
		}
		out->names[out->nr] = name;
		out->desc[out->nr] = 1; /* the API's default order is descending */
		q = skip_space(q + n);
		if (with_order) {
			size_t m = word_len(q);
			if (m == 3 && !strncasecmp(q, "asc", 3))
				out->desc[out->nr] = 0;
			if ((m == 3 && !strncasecmp(q, "asc", 3)) || (m == 4 && !strncasecmp(q, "desc", 4)))
				q = skip_space(q + m);
		}
		out->nr++;
		if (*q == ',') {
			*p = q + 1;
			continue;
		}
		*p = q;
		if (*q == stop || (!stop && !*q))
			return 0;
		strbuf_addf(err, "unexpected '%s'", q);
		return -1;
	}
}

/* The record's value of a canonical column (keys match case-insensitively); borrowed. */
static json_t *column_value(json_t *rec, const char *name)
{
	const char *k;
	json_t *v;
	if ((v = json_object_get(rec, name)))
		return v;
	json_object_foreach(rec, k, v)
		if (!strcasecmp(k, name))
			return v;
	return NULL;
}

/* ---- $apply ---------------------------------------------------------------------------- */

struct apply {
	struct column_list group;  /* nr 0: no groupby */
	int has_group;
	char *count_as;            /* aggregate($count as X), or NULL */
};

/* "aggregate($count as Name)" at *p. */
static int parse_aggregate(const char **p, struct apply *a, struct strbuf *err)
{
	const char *q;
	size_t n;
	if (!eat(p, "aggregate") || !eat(p, "(") || !eat(p, "$count") || !eat(p, "as")) {
		strbuf_addf(err, "only aggregate($count as Name) is supported, not '%s'", *p);
		return -1;
	}
	q = skip_space(*p);
	n = word_len(q);
	if (!n || q[0] == '$') {
		strbuf_addstr(err, "aggregate($count as Name) needs a name");
		return -1;
	}
	a->count_as = xstrndup(q, n);
	*p = q + n;
	if (!eat(p, ")")) {
		strbuf_addstr(err, "aggregate(...) is not closed");
		return -1;
	}
	return 0;
}

static int parse_apply(const char *s, struct apply *a, struct strbuf *err)
{
	const char *p = s;
	memset(a, 0, sizeof(*a));
	if (eat(&p, "groupby")) {
		if (!eat(&p, "(") || !eat(&p, "(")) {
			strbuf_addstr(err, "groupby needs a list of columns: groupby((Col, ...))");
			return -1;
		}
		if (parse_columns(&p, ')', 0, &a->group, err))
			return -1;
		p++; /* the ')' closing the list */
		a->has_group = 1;
		if (eat(&p, ",") && parse_aggregate(&p, a, err))
			return -1;
		if (!eat(&p, ")")) {
			strbuf_addf(err, "groupby(...) is not closed at '%s'", p);
			return -1;
		}
	} else if (parse_aggregate(&p, a, err)) {
		return -1;
	}
	p = skip_space(p);
	if (*p) {
		strbuf_addf(err, "only one transformation is supported; '%s' is not", p);
		return -1;
	}
	return 0;
}

static json_t *apply_run(json_t *items, const struct apply *a)
{
	json_t *out = json_array(), *groups = json_object(), *rec, *row;
	struct strbuf key = STRBUF_INIT;
	size_t i, c;

	json_array_foreach(items, i, rec) {
		strbuf_reset(&key);
		for (c = 0; c < a->group.nr; c++) {
			char *v = json_dumps(column_value(rec, a->group.names[c]),
					     JSON_COMPACT | JSON_ENCODE_ANY);
			strbuf_addf(&key, "%s\x1f", v ? v : "null");
			free(v);
		}
		row = json_object_get(groups, key.buf);
		if (!row) {
			row = json_pack("{s:n}", "@odata.id");
			for (c = 0; c < a->group.nr; c++) {
				json_t *v = column_value(rec, a->group.names[c]);
				json_object_set(row, a->group.names[c], v ? v : json_null());
			}
			if (a->count_as)
				json_object_set_new(row, a->count_as, json_integer(0));
			json_object_set_new(groups, key.buf, row);
			json_array_append(out, row); /* first-seen order */
		}
		if (a->count_as)
			json_object_set_new(row, a->count_as, json_integer(
				json_integer_value(json_object_get(row, a->count_as)) + 1));
	}
	/* aggregate without groupby: one row, even over no records */
	if (!a->has_group && !json_array_size(out))
		json_array_append_new(out, json_pack("{s:n, s:i}", "@odata.id", a->count_as, 0));
	json_decref(groups);
	strbuf_release(&key);
	return out;
}

/* ---- $orderby -------------------------------------------------------------------------- */

static int value_cmp(json_t *a, json_t *b)
{
	if (!a || json_is_null(a))
		return b && !json_is_null(b) ? -1 : 0;
	if (!b || json_is_null(b))
		return 1;
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) - json_is_true(b);
	if (json_is_string(a) && json_is_string(b))
		return strcasecmp(json_string_value(a), json_string_value(b));
	return (int)json_typeof(a) - (int)json_typeof(b);
}

static int rec_cmp(json_t *a, json_t *b, const struct column_list *order)
{
	size_t c;
	for (c = 0; c < order->nr; c++) {
		int r = value_cmp(column_value(a, order->names[c]), column_value(b, order->names[c]));
		if (r)
			return order->desc[c] ? -r : r;
	}
	return 0;
}

/* A stable merge sort (qsort is not stable, and equal keys keep the records' order). */
static void merge_sort(json_t **v, json_t **tmp, size_t n, const struct column_list *order)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;
	if (n < 2)
		return;
	merge_sort(v, tmp, mid, order);
	merge_sort(v + mid, tmp, n - mid, order);
	while (i < mid && j < n)
		tmp[k++] = rec_cmp(v[j], v[i], order) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static json_t *orderby_run(json_t *items, const struct column_list *order)
{
	size_t n = json_array_size(items), i;
	json_t **v = xcalloc(n + 1, sizeof(*v)), **tmp = xcalloc(n + 1, sizeof(*tmp));
	json_t *out = json_array();
	for (i = 0; i < n; i++)
		v[i] = json_array_get(items, i);
	merge_sort(v, tmp, n, order);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	free(tmp);
	return out;
}

/* ---- $select --------------------------------------------------------------------------- */

static json_t *select_run(json_t *items, const struct column_list *cols)
{
	json_t *out = json_array(), *rec;
	size_t i, c;
	json_array_foreach(items, i, rec) {
		json_t *row = json_pack("{s:n}", "@odata.id");
		for (c = 0; c < cols->nr; c++) {
			json_t *v = column_value(rec, cols->names[c]);
			json_object_set(row, cols->names[c], v ? v : json_null());
		}
		json_array_append_new(out, row);
	}
	return out;
}

/* ---- the three together ------------------------------------------------------------------ */

static void replace(json_t **items, json_t *next)
{
	json_decref(*items);
	*items = next;
}

enum states_shape_result states_shape(json_t **items, const char *apply, const char *orderby,
				      const char *select, struct strbuf *err)
{
	struct apply a;
	struct column_list order, sel;
	const char *p;
	enum states_shape_result ret = STATES_SHAPE_OK;

	memset(&a, 0, sizeof(a));
	/* parse everything first: a bad option leaves the result as it was */
	if (apply && parse_apply(apply, &a, err)) {
		ret = STATES_SHAPE_BAD_APPLY;
		goto out;
	}
	if (orderby && (p = orderby, parse_columns(&p, 0, 1, &order, err))) {
		ret = STATES_SHAPE_BAD_ORDERBY;
		goto out;
	}
	if (select && (p = select, parse_columns(&p, 0, 0, &sel, err))) {
		ret = STATES_SHAPE_BAD_SELECT;
		goto out;
	}
	if (apply && orderby) {
		/* after groupby only the grouped columns (and the count) are left to order by */
		size_t c, g;
		for (c = 0; c < order.nr; c++) {
			int kept = 0;
			for (g = 0; g < a.group.nr; g++)
				kept |= order.names[c] == a.group.names[g];
			if (!kept) {
				strbuf_addf(err, "'%s' is not a column of the $apply result",
					    order.names[c]);
				ret = STATES_SHAPE_BAD_ORDERBY;
				goto out;
			}
		}
	}
	if (apply && select) {
		strbuf_addstr(err, "$select cannot be combined with $apply");
		ret = STATES_SHAPE_BAD_SELECT;
		goto out;
	}
	if (apply)
		replace(items, apply_run(*items, &a));
	if (orderby)
		replace(items, orderby_run(*items, &order));
	if (select)
		replace(items, select_run(*items, &sel));
out:
	free(a.count_as);
	return ret;
}

const char *states_shape_code(enum states_shape_result r)
{
	switch (r) {
	case STATES_SHAPE_BAD_APPLY: return "InvalidApplyInQueryString";
	case STATES_SHAPE_BAD_ORDERBY: return "InvalidOrderByInQueryString";
	case STATES_SHAPE_BAD_SELECT: return "InvalidSelectInQueryString";
	case STATES_SHAPE_OK: break;
	}
	return NULL;
}
