/*
 * deploy_set — resources to deploy and what the phases after apply need (see deploy_set.h).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/deploy_set.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void deploy_set_add(struct deploy_set *set, enum deploy_kind kind, const char *scope,
		    const char *name, const char *id, const char *api_version, json_t *body)
{
	struct deploy_resource *r;
	ALLOC_GROW(set->resources, set->nr + 1, set->alloc);
	r = &set->resources[set->nr++];
	r->kind = kind;
	r->name = xstrdup(name);
	r->scope = xstrdup(scope);
	r->id = xstrdup(id);
	r->api_version = api_version;
	r->body = body;
	if (kind == DEPLOY_POLICY_ASSIGNMENT) {
		string_list_append(&set->assignment_scopes, scope);
		string_list_append(&set->assignment_ids, id);
	}
}

void deploy_set_drop_resources(struct deploy_set *set)
{
	size_t i, nr = set->nr;
	for (i = 0; i < set->nr; i++) {
		free(set->resources[i].name);
		free(set->resources[i].scope);
		free(set->resources[i].id);
		json_decref(set->resources[i].body);
	}
	free(set->resources);
	set->resources = NULL;
	set->nr = set->alloc = 0;
	/* thousands of rendered bodies leave free heap behind: give it back before tracking
	 * (not for a scope's few, released one after another while apply streams) */
	if (nr > 64)
		malloc_trim(0);
}

void deploy_set_release(struct deploy_set *set)
{
	deploy_set_drop_resources(set);
	string_list_clear(&set->role_definition_ids);
	string_list_clear(&set->reference_ids);
	string_list_clear(&set->assignment_scopes);
	string_list_clear(&set->assignment_ids);
}

int deploy_set_scope(const struct deploy_set *set, size_t index, struct deploy_set *out,
		     struct strbuf *err)
{
	const char *scope;
	size_t i;

	if (index >= set->assignment_scopes.nr) {
		strbuf_addf(err, "scope %zu of %zu does not exist", index, set->assignment_scopes.nr);
		return -1;
	}
	if (!set->nr && set->source.render)
		return set->source.render(set->source.ctx, index, out, err);
	scope = set->assignment_scopes.items[index];
	for (i = 0; i < set->nr; i++) {
		const struct deploy_resource *r = &set->resources[i];
		if (strcasecmp(r->scope, scope))
			continue;
		deploy_set_add(out, r->kind, r->scope, r->name, r->id, r->api_version,
			       json_incref(r->body));
	}
	return 0;
}
