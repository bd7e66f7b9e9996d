/*
 * fuzz_armsim_states — the policyStates query options armsim reshapes results with
 * (states_shape: $apply, $orderby, $select; armsim/states_shape.c).
 *
 * The input is up to three lines: $apply, $orderby, $select (an empty line or a missing one
 * is an absent option). They are applied to copies of six fixed records. Beyond "no crash":
 *  - a refusal leaves the records untouched (the same array, equal to before) and says why,
 *    with an error code the API has;
 *  - a result is an array of objects; with $select, every record holds only selected
 *    columns (and @odata.id); without $apply, as many records as before;
 *  - shaping is deterministic: the same options on a copy give an equal result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/states_shape.h"
#include "lib/strbuf.h"

static json_t *base; /* the records, built once; every input shapes copies */

static json_t *records(void)
{
	return json_pack("[{s:s,s:s,s:s,s:b,s:s,s:s},{s:s,s:s,s:s,s:b,s:s,s:s},"
			 "{s:s,s:s,s:s,s:b,s:n,s:s},{s:s,s:s,s:s,s:b,s:s,s:s},"
			 "{s:s,s:s,s:s,s:b,s:s,s:i},{s:s,s:s,s:s,s:b,s:s,s:s}]",
			 "@odata.id", "a", "resourceId", "/s/b", "complianceState", "NonCompliant",
			 "isCompliant", 0, "policyAssignmentId", "/p/1", "timestamp", "2025-01-01T00:00:00Z",
			 "@odata.id", "b", "resourceId", "/s/a", "complianceState", "Compliant",
			 "isCompliant", 1, "policyAssignmentId", "/p/2", "timestamp", "2025-01-02T00:00:00Z",
			 "@odata.id", "c", "resourceId", "/s/c", "complianceState", "NonCompliant",
			 "isCompliant", 0, "policyAssignmentId", "timestamp", "2025-01-01T00:00:00Z",
			 "@odata.id", "d", "resourceId", "/S/A", "complianceState", "nonCompliant",
			 "isCompliant", 0, "policyAssignmentId", "/p/1", "timestamp", "2025-01-03T00:00:00Z",
			 "@odata.id", "e", "resourceId", "/s/d", "complianceState", "Exempt",
			 "isCompliant", 1, "policyAssignmentId", "/p/1", "timestamp", 7,
			 "@odata.id", "f", "resourceId", "/s/a", "complianceState", "Compliant",
			 "isCompliant", 1, "policyAssignmentId", "/p/2", "timestamp", "");
}

static int word_char(char c)
{
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Whether select names key as one of its words (any case). */
static int selects(const char *select, const char *key)
{
	size_t n = strlen(key);
	const char *p = select;
	while (*p) {
		size_t w = 0;
		while (p[w] && word_char(p[w]))
			w++;
		if (w == n && !strncasecmp(p, key, n))
			return 1;
		p += w ? w : 1;
	}
	return 0;
}

/* Whether record holds only @odata.id and the columns named in select. */
static int only_selected(json_t *record, const char *select)
{
	const char *key;
	json_t *v;
	json_object_foreach(record, key, v)
		if (strcmp(key, "@odata.id") && !selects(select, key))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *opt[3] = { NULL, NULL, NULL }, *p;
	json_t *items, *copy, *before;
	struct strbuf err = STRBUF_INIT;
	enum states_shape_result r, r2;
	size_t i;
	json_t *rec;

	if (!base)
		base = records();
	items = json_deep_copy(base);
	copy = json_deep_copy(base);
	before = items;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	for (i = 0; i < 3 && p; i++) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		opt[i] = *p ? p : NULL;
		p = nl ? nl + 1 : NULL;
	}
	r = states_shape(&items, opt[0], opt[1], opt[2], &err);
	if (r != STATES_SHAPE_OK) {
		if (items != before || !json_equal(items, base) || !err.len || !states_shape_code(r))
			abort();
	} else {
		if (!json_is_array(items) || states_shape_code(r))
			abort();
		if (!opt[0] && json_array_size(items) != json_array_size(base))
			abort();
		json_array_foreach(items, i, rec) {
			if (!json_is_object(rec))
				abort();
			if (opt[2] && !only_selected(rec, opt[2]))
				abort();
		}
	}
	strbuf_reset(&err);
	r2 = states_shape(&copy, opt[0], opt[1], opt[2], &err);
	if (r2 != r || !json_equal(copy, items))
		abort();
	json_decref(items);
	json_decref(copy);
	strbuf_release(&err);
	free(text);
	return 0;
}
