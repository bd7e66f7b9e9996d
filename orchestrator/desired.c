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

/* Feeds json as compact text with sorted keys ("null" for NULL), then a newline. */
static void add_json(struct digest_sha256_ctx *part, const json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	const char *t = text ? text : "null";
	digest_sha256_update(part, t, strlen(t));
	digest_sha256_update(part, "\n", 1);
	free(text);
}

static void add_line(struct digest_sha256_ctx *part, const char *line)
{
	digest_sha256_update(part, line, strlen(line));
	digest_sha256_update(part, "\n", 1);
}

/* add_json for a body that may recur (a definition's): its dump is kept for the next scope. */
static void add_shared_json(struct desired_builder *b, struct digest_sha256_ctx *part,
			    const json_t *body)
{
	size_t i;
	for (i = 0; i < DESIRED_DUMPS && b->dumps[i].body != body; i++)
		;
	if (i == DESIRED_DUMPS) {
		i = b->next_dump++ % DESIRED_DUMPS;
		json_decref(b->dumps[i].body);
		free(b->dumps[i].text);
		b->dumps[i].body = json_incref((json_t *)body);
		b->dumps[i].text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	}
	add_line(part, b->dumps[i].text ? b->dumps[i].text : "null");
}

void desired_builder_begin(struct desired_builder *b)
{
	size_t i;
	memset(b, 0, sizeof(*b));
	for (i = 0; i < DESIRED_PART_COUNT; i++)
		digest_sha256_begin(&b->part[i]);
}

void desired_builder_add(struct desired_builder *b, const struct deploy_set *set)
{
	size_t i;
	for (i = 0; i < set->nr; i++) {
		const struct deploy_resource *r = &set->resources[i];
		const json_t *props = json_object_get(r->body, "properties");
		json_t *rest;
		switch (r->kind) {
		case DEPLOY_POLICY_DEFINITION:
			add_line(&b->part[DESIRED_DEFINITIONS], r->id);
			add_shared_json(b, &b->part[DESIRED_DEFINITIONS], r->body);
			break;
		case DEPLOY_POLICY_SET_DEFINITION:
			add_line(&b->part[DESIRED_INITIATIVE], r->id);
			add_json(&b->part[DESIRED_INITIATIVE], r->body);
			break;
		case DEPLOY_POLICY_ASSIGNMENT:
			/* the assignment without the two parts a user changes on their own */
			rest = json_deep_copy(r->body);
			json_object_del(json_object_get(rest, "properties"), "notScopes");
			json_object_del(json_object_get(rest, "properties"), "parameters");
			add_line(&b->part[DESIRED_ASSIGNMENT], r->id);
			add_json(&b->part[DESIRED_ASSIGNMENT], rest);
			json_decref(rest);
			/* keyed by scope: a renamed assignment changes "assignment" alone */
			add_line(&b->part[DESIRED_NOT_SCOPES], r->scope);
			add_json(&b->part[DESIRED_NOT_SCOPES], json_object_get(props, "notScopes"));
			add_line(&b->part[DESIRED_PARAMETERS], r->scope);
			add_json(&b->part[DESIRED_PARAMETERS], json_object_get(props, "parameters"));
			break;
		}
	}
}

void desired_builder_end(struct desired_builder *b, const struct deploy_set *refs,
			 const struct config *cfg, struct desired_digest *out)
{
	struct strbuf rem = STRBUF_INIT;
	size_t i;
	/* what each remediation task is created with (task_body in remediate.c) */
	strbuf_addf(&rem, "%s\n%ld\n%.17g\n%ld\n",
		    cfg->remediation_resource_discovery ? cfg->remediation_resource_discovery : "",
		    (long)cfg->remediation_parallel_deployments,
		    (double)cfg->remediation_failure_threshold, (long)cfg->remediation_resource_count);
	for (i = 0; i < cfg->remediation_locations.nr; i++)
		strbuf_addf(&rem, "%s\n", cfg->remediation_locations.items[i]);
	for (i = 0; i < refs->reference_ids.nr; i++)
		strbuf_addf(&rem, "ref %s\n", refs->reference_ids.items[i]);
	digest_sha256_update(&b->part[DESIRED_REMEDIATION], rem.buf ? rem.buf : "", rem.len);
	strbuf_release(&rem);
	for (i = 0; i < DESIRED_PART_COUNT; i++)
		digest_sha256_end_hex(&b->part[i], out->hex[i]);
	for (i = 0; i < DESIRED_DUMPS; i++) {
		json_decref(b->dumps[i].body);
		free(b->dumps[i].text);
	}
}

void desired_digest_compute(const struct deploy_set *set, const struct config *cfg,
			    struct desired_digest *out)
{
	struct desired_builder b;
	desired_builder_begin(&b);
	desired_builder_add(&b, set);
	desired_builder_end(&b, set, cfg, out);
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
