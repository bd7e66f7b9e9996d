/*
 * json_template — JSON templates with typed placeholders.
 *
 * A template is a valid JSON document. A placeholder is a whole JSON string value such as
 * "${display_name}"; rendering replaces it with a JSON value of any type (string, number,
 * bool, array, object). Nothing is ever pasted into JSON text, so hostile strings (quotes,
 * backslashes, newlines, non-ASCII) come out correctly escaped by the JSON encoder.
 * A placeholder without a parameter, a parameter no placeholder uses, or "${" anywhere but as
 * a whole string value is an error: a typo in a template never renders silently.
 *
 * The templates live in the JSON files of templates/ and are compiled into the binary (see
 * generator/embed-templates.sh), so an installed policyctl needs no data folder.
 */
#ifndef JSON_TEMPLATE_H
#define JSON_TEMPLATE_H

#include <jansson.h>

#include "lib/strbuf.h"

struct json_template_file {
	const char *name; /* file name in templates/, e.g. "assignment.json" */
	const char *text; /* its JSON text */
};

/* Every file of templates/, ending with a { NULL, NULL } row (generated at build time). */
extern const struct json_template_file json_template_files[];

struct json_template_param {
	char *name;    /* without ${ }; owned */
	json_t *value; /* owned reference */
	int used;      /* set by json_template_render */
};

struct json_template_params {
	struct json_template_param *items;
	size_t nr, alloc;
};

#define JSON_TEMPLATE_PARAMS_INIT { NULL, 0, 0 }

/* Sets name to value; steals the reference to value (like json_object_set_new). */
void json_template_params_set_new(struct json_template_params *params, const char *name, json_t *value);
/* Shorthand for a string value (copied). */
void json_template_params_set_string(struct json_template_params *params, const char *name, const char *value);
void json_template_params_release(struct json_template_params *params);

/*
 * Parses the embedded template called name. Returns a new reference, or NULL with err set to
 * "template 'NAME': ..." when it is missing or not valid JSON.
 */
json_t *json_template_load(const char *name, struct strbuf *err);

/*
 * Returns a new deep copy of tmpl (borrowed) with every placeholder replaced by a copy of its
 * parameter's value. On error returns NULL with err set, naming the template (name) and the
 * JSON path of the offending value, e.g.
 *   template 'assignment.json': unknown placeholder '${colour}' at /properties/displayName
 *   template 'assignment.json': parameter 'colour' is not used
 */
json_t *json_template_render(const json_t *tmpl, const char *name, struct json_template_params *params,
			struct strbuf *err);

/* json_template_load + json_template_render in one step; NULL with err set on failure. */
json_t *json_template_render_file(const char *name, struct json_template_params *params, struct strbuf *err);

#endif
