/*
 * arm — ARM conventions shared by the handlers: paging, names, scopes, timestamps.
 */
#ifndef ARMSIM_ARM_H
#define ARMSIM_ARM_H
#include <jansson.h>

#include <stddef.h>

#include "armsim/http.h"
#include "lib/strbuf.h"

/*
 * Answers 200 with one page of items (stolen array): {"value":[...], "nextLink": URL|absent}.
 * The page size is the world's pageSize knob (or $top when smaller); the next page is asked for
 * with $skipToken, every other query argument kept. `next_key` is "nextLink" for ARM lists and
 * "@odata.nextLink" for policyStates. Costs O(all items) in the caller, who built them all:
 * lists that can be long use armsim_page_window + armsim_respond_window instead.
 */
void armsim_respond_page(struct armsim_request *req, struct armsim_response *resp, json_t *items,
		      const char *next_key);

/* Which items of a list one page holds: indexes [start, start + size). */
struct armsim_page {
	size_t start; /* from $skipToken (0 without it) */
	size_t size;  /* the world's pageSize, or $top when smaller */
	size_t limit; /* $top: the whole result holds at most this many (0: no $top) */
};
/*
 * Reads $skipToken and $top into *page. Returns 0, or -1 with a 400 (InvalidSkipToken,
 * InvalidTopParameter) in resp when either is malformed.
 */
int armsim_page_window(struct armsim_request *req, struct armsim_response *resp,
		    struct armsim_page *page);
/* Whether the item at index i of the list is on the page. */
int armsim_page_has(const struct armsim_page *page, size_t i);
/*
 * Answers 200 with the page's items only (stolen array, built by the caller for the indexes
 * armsim_page_has accepts) out of `total` items; nextLink exactly as armsim_respond_page writes it.
 * $top bounds the whole result: the last of those $top items ends the list (no nextLink).
 * So a page of a 10,000-item list costs a walk over pointers plus JSON for one page.
 */
void armsim_respond_window(struct armsim_request *req, struct armsim_response *resp,
			const struct armsim_page *page, json_t *page_items, size_t total,
			const char *next_key);

/*
 * Checks a policy resource name against ARM's rules: non-empty, at most max_len characters, none
 * of < > * % & : \ ? . + /, no trailing space. Returns NULL or a reason (static string).
 */
const char *armsim_policy_name_problem(const char *name, size_t max_len);

enum armsim_scope_kind {
	SCOPE_INVALID = 0,
	SCOPE_TENANT,            /* "" — the tenant root ("/") */
	SCOPE_MANAGEMENT_GROUP,  /* /providers/Microsoft.Management/managementGroups/{mg} */
	SCOPE_SUBSCRIPTION,      /* /subscriptions/{id} */
	SCOPE_RESOURCE_GROUP,    /* /subscriptions/{id}/resourceGroups/{rg} */
	SCOPE_RESOURCE,          /* anything deeper */
};
/* Classifies a scope as captured by a {scope*} route parameter. */
enum armsim_scope_kind armsim_scope_kind(const char *scope);
/*
 * Checks that the scope exists in the world; fills a 404 (SubscriptionNotFound,
 * ManagementGroupNotFound, ResourceGroupNotFound, ResourceNotFound) and returns -1 when not.
 */
int armsim_scope_exists(struct armsim_request *req, struct armsim_response *resp, const char *scope);

/*
 * An OData $filter as ARM lists take it: clauses joined by "and", each either
 * `Field eq 'value'` / `Field ne value` or a function call such as `atScope()` or
 * `assignedTo('id')` (kept whole in field, with no operator). Doubled quotes in a quoted
 * value stand for one quote. Every list handler parses its $filter with armsim_filter_parse.
 */
enum armsim_filter_op { ARMSIM_FILTER_EQ, ARMSIM_FILTER_NE, ARMSIM_FILTER_CALL };
struct armsim_filter_clause {
	char field[64];               /* "ComplianceState", or the whole call "atScope()" */
	enum armsim_filter_op op;
	char value[512];              /* unquoted; "" for a call */
};
struct armsim_filter {
	struct armsim_filter_clause clauses[8];
	size_t nr;
};
/*
 * Parses text (NULL = no clauses) into *f. Returns 0, or -1 with err saying what is not
 * supported (f then holds the clauses before the bad one).
 */
int armsim_filter_parse(const char *text, struct armsim_filter *f, struct strbuf *err);
/*
 * The value of the first `field eq 'VALUE'` clause of filter (NULL filter is fine, field
 * compared ignoring case), appended to out. Returns 1 when found, 0 otherwise (also when the
 * filter does not parse).
 */
int armsim_filter_eq(const char *filter, const char *field, struct strbuf *out);
/* Whether the filter holds a call named name ("atScope" matches "atScope()"). */
int armsim_filter_has_call(const char *filter, const char *name);

/* The current simulated time as ARM writes it (2025-01-01T00:00:00.0000000Z). */
void armsim_now_iso(char out[40]);
/* Adds systemData {createdBy, createdByType, createdAt, lastModified*} for the caller. */
void armsim_set_system_data(struct armsim_request *req, json_t *body, const json_t *previous);
#endif
