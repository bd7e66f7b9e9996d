/*
 * json_template — typed placeholder substitution over jansson values (see json_template.h).
 *
 * The walk copies the template node by node. A string that is exactly "${name}" becomes a
 * copy of the parameter; any other string containing "${" is refused, because that would be
 * text pasting by another name. The path of each node is kept so errors can point at it.
 */
#include <stdlib.h>
#include <string.h>

#include "generator/json_template.h"
#include "lib/jsonutil.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void json_template_params_set_new(struct json_template_params *params, const char *name, json_t *value)
{
	size_t i;
	for (i = 0; i < params->nr; i++)
		if (!strcmp(params->items[i].name, name)) {
			json_decref(params->items[i].value);
			params->items[i].value = value;
			return;
		}
	ALLOC_GROW(params->items, params->nr + 1, params->alloc);
	params->items[params->nr].name = xstrdup(name);
	params->items[params->nr].value = value;
	params->items[params->nr].used = 0;
	params->nr++;
}

void json_template_params_set_string(struct json_template_params *params, const char *name, const char *value)
{
	json_template_params_set_new(params, name, json_string(value));
}

void json_template_params_release(struct json_template_params *params)
{
	size_t i;
	for (i = 0; i < params->nr; i++) {
		free(params->items[i].name);
		json_decref(params->items[i].value);
	}
	free(params->items);
	params->items = NULL;
	params->nr = params->alloc = 0;
}

/*
 * The parsed template (borrowed: parsed once per process and kept, the templates being
 * compiled in), or NULL with err set. Rendering 2,500 scopes then parses each template once,
 * not 2,500 times.
 */
static const json_t *parsed(const char *name, struct strbuf *err)
{
	static json_t *cache[64];
	const struct json_template_file *f;
	struct strbuf where = STRBUF_INIT;
	size_t i;

	for (f = json_template_files, i = 0; f->name; f++, i++)
		if (!strcmp(f->name, name))
			break;
	if (!f->name) {
		strbuf_addf(err, "template '%s': no such template", name);
		return NULL;
	}
	if (i >= ARRAY_SIZE(cache)) {
		strbuf_addf(err, "template '%s': more than %zu templates compiled in", name,
			    ARRAY_SIZE(cache));
		return NULL;
	}
	if (!cache[i]) {
		strbuf_addf(&where, "template '%s'", name);
		cache[i] = jsonutil_parse(f->text, strlen(f->text), where.buf, err);
		strbuf_release(&where);
	}
	return cache[i];
}

json_t *json_template_load(const char *name, struct strbuf *err)
{
	const json_t *tmpl = parsed(name, err);
	return tmpl ? json_deep_copy(tmpl) : NULL;
}

/* "${name}" → name length and start; 0 when s is not exactly one placeholder. */
static size_t placeholder_name(const char *s, const char **start)
{
	size_t len = strlen(s), i;
	if (len < 4 || strncmp(s, "${", 2) || s[len - 1] != '}')
		return 0;
	for (i = 2; i < len - 1; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	*start = s + 2;
	return len - 3;
}

struct walk {
	const char *name;               /* template name, for errors */
	struct json_template_params *params; /* borrowed */
	struct strbuf path;             /* JSON pointer of the current node */
	struct strbuf *err;             /* borrowed */
};

static json_t *walk_node(struct walk *w, const json_t *node);

static json_t *walk_string(struct walk *w, const json_t *node)
{
	const char *s = json_string_value(node), *start = NULL;
	size_t len = placeholder_name(s, &start), i;

	if (!len) {
		if (strstr(s, "${")) {
			strbuf_addf(w->err, "template '%s': placeholder must be a whole string value "
				    "at %s", w->name, w->path.len ? w->path.buf : "/");
			return NULL;
		}
		return json_copy((json_t *)node);
	}
	for (i = 0; i < w->params->nr; i++) {
		struct json_template_param *p = &w->params->items[i];
		if (strlen(p->name) == len && !strncmp(p->name, start, len)) {
			p->used = 1;
			return json_deep_copy(p->value);
		}
	}
	strbuf_addf(w->err, "template '%s': unknown placeholder '%s' at %s", w->name, s,
		    w->path.len ? w->path.buf : "/");
	return NULL;
}

static json_t *walk_node(struct walk *w, const json_t *node)
{
	size_t saved = w->path.len;
	json_t *out = NULL, *child;

	if (json_is_string(node))
		return walk_string(w, node);
	if (json_is_object(node)) {
		const char *key;
		json_t *value;
		out = json_object();
		json_object_foreach((json_t *)node, key, value) {
			if (strstr(key, "${")) {
				strbuf_addf(w->err, "template '%s': placeholder in key '%s' at %s: "
					    "placeholders are values only", w->name, key,
					    w->path.len ? w->path.buf : "/");
				goto fail;
			}
			strbuf_addf(&w->path, "/%s", key);
			child = walk_node(w, value);
			strbuf_setlen(&w->path, saved);
			if (!child)
				goto fail;
			json_object_set_new(out, key, child);
		}
		return out;
	}
	if (json_is_array(node)) {
		size_t i;
		json_t *value;
		out = json_array();
		json_array_foreach(node, i, value) {
			strbuf_addf(&w->path, "/%zu", i);
			child = walk_node(w, value);
			strbuf_setlen(&w->path, saved);
			if (!child)
				goto fail;
			json_array_append_new(out, child);
		}
		return out;
	}
	return json_copy((json_t *)node);
fail:
	json_decref(out);
	return NULL;
}

json_t *json_template_render(const json_t *tmpl, const char *name, struct json_template_params *params,
			struct strbuf *err)
{
	struct walk w = { name, params, STRBUF_INIT, err };
	json_t *out;
	size_t i;

	for (i = 0; i < params->nr; i++)
		params->items[i].used = 0;
	out = walk_node(&w, tmpl);
	strbuf_release(&w.path);
	if (!out)
		return NULL;
	for (i = 0; i < params->nr; i++)
		if (!params->items[i].used) {
			strbuf_addf(err, "template '%s': parameter '%s' is not used", name,
				    params->items[i].name);
			json_decref(out);
			return NULL;
		}
	return out;
}

json_t *json_template_render_file(const char *name, struct json_template_params *params, struct strbuf *err)
{
	const json_t *tmpl = parsed(name, err);
	if (!tmpl)
		return NULL;
	return json_template_render(tmpl, name, params, err);
}
