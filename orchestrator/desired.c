/*
 * desired — the per-part digest of the rendered desired state (see desired.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/desired.h"
#include "lib/banned.h"

static const char *const part_names[DESIRED_PART_COUNT] = {
	[DESIRED_DEFINITIONS] = "definitions", [DESIRED_INITIATIVE] = "initiative",
	[DESIRED_ASSIGNMENT] = "assignment", [DESIRED_NOT_SCOPES] = "not_scopes",
	[DESIRED_PARAMETERS] = "parameters", [DESIRED_REMEDIATION] = "remediation",
};

const char *desired_part_name(enum desired_part part)
{
	return (size_t)part < DESIRED_PART_COUNT ? part_names[part] : "?";
}

/* Appends json as compact text with sorted keys ("null" for NULL), then a newline. */
static void add_json(struct strbuf *sb, const json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	strbuf_addstr(sb, text ? text : "null");
	strbuf_addch(sb, '\n');
	free(text);
}

void desired_digest_compute(const struct deploy_set *set, const struct config *cfg,
			    struct desired_digest *out)
{
	struct strbuf parts[DESIRED_PART_COUNT];
	size_t i;

	for (i = 0; i < DESIRED_PART_COUNT; i++)
		strbuf_init(&parts[i], 0);
	for (i = 0; i < set->nr; i++) {
		const struct deploy_resource *r = &set->resources[i];
		const json_t *props = json_object_get(r->body, "properties");
		json_t *rest;
		switch (r->kind) {
		case DEPLOY_POLICY_DEFINITION:
			strbuf_addf(&parts[DESIRED_DEFINITIONS], "%s\n", r->id);
			add_json(&parts[DESIRED_DEFINITIONS], r->body);
			break;
		case DEPLOY_POLICY_SET_DEFINITION:
			strbuf_addf(&parts[DESIRED_INITIATIVE], "%s\n", r->id);
			add_json(&parts[DESIRED_INITIATIVE], r->body);
			break;
		case DEPLOY_POLICY_ASSIGNMENT:
			/* the assignment without the two parts a user changes on their own */
			rest = json_deep_copy(r->body);
			json_object_del(json_object_get(rest, "properties"), "notScopes");
			json_object_del(json_object_get(rest, "properties"), "parameters");
			strbuf_addf(&parts[DESIRED_ASSIGNMENT], "%s\n", r->id);
			add_json(&parts[DESIRED_ASSIGNMENT], rest);
			json_decref(rest);
			/* keyed by scope: a renamed assignment changes "assignment" alone */
			strbuf_addf(&parts[DESIRED_NOT_SCOPES], "%s\n", r->scope);
			add_json(&parts[DESIRED_NOT_SCOPES], json_object_get(props, "notScopes"));
			strbuf_addf(&parts[DESIRED_PARAMETERS], "%s\n", r->scope);
			add_json(&parts[DESIRED_PARAMETERS], json_object_get(props, "parameters"));
			break;
		}
	}
	/* what each remediation task is created with (task_body in remediate.c) */
	strbuf_addf(&parts[DESIRED_REMEDIATION], "%s\n%ld\n%.17g\n%ld\n",
		    cfg->remediation_resource_discovery ? cfg->remediation_resource_discovery : "",
		    (long)cfg->remediation_parallel_deployments,
		    (double)cfg->remediation_failure_threshold, (long)cfg->remediation_resource_count);
	for (i = 0; i < cfg->remediation_locations.nr; i++)
		strbuf_addf(&parts[DESIRED_REMEDIATION], "%s\n", cfg->remediation_locations.items[i]);
	for (i = 0; i < set->reference_ids.nr; i++)
		strbuf_addf(&parts[DESIRED_REMEDIATION], "ref %s\n", set->reference_ids.items[i]);
	for (i = 0; i < DESIRED_PART_COUNT; i++) {
		digest_sha256_hex(parts[i].buf ? parts[i].buf : "", parts[i].len, out->hex[i]);
		strbuf_release(&parts[i]);
	}
}

void desired_digest_format(const struct desired_digest *d, struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < DESIRED_PART_COUNT; i++)
		strbuf_addf(sb, "%s%s=%s", i ? " " : "", part_names[i], d->hex[i]);
}

int desired_digest_parse(const char *text, struct desired_digest *out)
{
	size_t i, len, hex_len = DIGEST_SHA256_HEX_SIZE - 1;
	const char *p = text;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < DESIRED_PART_COUNT; i++) {
		len = strlen(part_names[i]);
		if (i && *p++ != ' ')
			return -1;
		if (strncmp(p, part_names[i], len) || p[len] != '=')
			return -1;
		p += len + 1;
		if (strspn(p, "0123456789abcdef") != hex_len)
			return -1;
		memcpy(out->hex[i], p, hex_len);
		out->hex[i][hex_len] = '\0';
		p += hex_len;
	}
	return *p ? -1 : 0;
}

size_t desired_digest_diff(const struct desired_digest *a, const struct desired_digest *b,
			   struct strbuf *names)
{
	size_t i, n = 0;
	for (i = 0; i < DESIRED_PART_COUNT; i++) {
		if (!strcmp(a->hex[i], b->hex[i]))
			continue;
		strbuf_addf(names, "%s%s", n ? ", " : "", part_names[i]);
		n++;
	}
	return n;
}
