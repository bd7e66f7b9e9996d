/*
 * fuzz_armsim_template — armsim's ARM template expression parser and evaluator
 * (template_expr.c, template_func.c).
 *
 * The input is one expression string ("[concat(parameters('a'), '/web')]"). One that parses
 * is evaluated twice in a fixed scope: parameters of every JSON kind, variables (one
 * referring to another, one to itself), field()/current()/reference() answered from a fixed
 * site, a subscription, group, location and API version. Beyond "no crash":
 *  - a refusal (parse or evaluation) says why and returns no value;
 *  - a success returns a value;
 *  - evaluation is deterministic: both evaluations agree in result and value;
 *  - template_value_eval of the string agrees with parse + eval.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/template.h"
#include "lib/strbuf.h"

static json_t *parameters, *variables, *site;

static enum template_result host_field(void *data, const char *alias, json_t **out,
				       struct strbuf *err)
{
	json_t *v = json_object_get(json_object_get(site, "properties"), alias);
	(void)data;
	(void)err;
	if (!strcmp(alias, "type") || !strcmp(alias, "name") || !strcmp(alias, "kind"))
		v = json_object_get(site, alias);
	*out = v ? json_incref(v) : json_null();
	return TEMPLATE_OK;
}

static enum template_result host_current(void *data, const char *name, json_t **out,
					 struct strbuf *err)
{
	(void)data;
	if (name && !strcmp(name, "missing")) {
		strbuf_addstr(err, "current('missing') is not in a count");
		return TEMPLATE_INVALID;
	}
	*out = json_string("10.0.0.0/8");
	return TEMPLATE_OK;
}

static enum template_result host_reference(void *data, const char *resource_id,
					   const char *api_version, int full, json_t **out,
					   struct strbuf *err)
{
	(void)data;
	(void)api_version;
	if (!strstr(resource_id, "/sites/")) {
		strbuf_addf(err, "resource '%s' was not found", resource_id);
		return TEMPLATE_NOT_FOUND;
	}
	*out = json_incref(full ? site : json_object_get(site, "properties"));
	return TEMPLATE_OK;
}

static const struct template_host host = { host_field, host_current, host_reference, NULL };

static void setup(void)
{
	if (site)
		return;
	parameters = json_loads("{\"effect\": \"Audit\", \"names\": [\"a\", \"B\", \"c\"],"
				" \"obj\": {\"k\": \"v\", \"n\": {\"x\": 1, \"y\": [1, 2.5, null]}},"
				" \"n\": 3, \"f\": -0.5, \"t\": true, \"none\": null, \"empty\": \"\","
				" \"big\": 9007199254740993, \"min\": -9223372036854775808}", 0, NULL);
	variables = json_loads("{\"v1\": \"[parameters('effect')]\", \"v2\": \"[variables('v1')]\","
			       " \"loop\": \"[variables('loop')]\", \"lit\": \"plain\","
			       " \"esc\": \"[[not an expression]\", \"o\": {\"a\": \"[parameters('n')]\"}}",
			       0, NULL);
	site = json_loads("{\"id\": \"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app1\","
			  " \"name\": \"app1\", \"type\": \"Microsoft.Web/sites\", \"kind\": \"app\","
			  " \"properties\": {\"clientCertEnabled\": true, \"clientCertMode\": \"Required\","
			  " \"hostNames\": [\"app1.azurewebsites.net\"]}}", 0, NULL);
	if (!parameters || !variables || !site)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_scope scope = { 0 };
	struct template_expr *e = NULL;
	struct strbuf err = STRBUF_INIT;
	json_t *v1 = NULL, *v2 = NULL, *v3 = NULL, *str;
	enum template_result r1, r2, r3;
	char *text;

	setup();
	if (memchr(data, '\0', size))
		return 0; /* a JSON string may hold no NUL byte here (jansson refuses \u0000) */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	scope.parameters = parameters;
	scope.variables = variables;
	scope.host = &host;
	scope.subscription_id = "00000000-0000-0000-0000-000000000001";
	scope.resource_group = "rg";
	scope.location = "westeurope";
	scope.api_version = "2023-01-01";

	if (template_expr_parse(text, &e, &err) != TEMPLATE_OK) {
		if (e || !err.len)
			abort();
		goto out;
	}
	r1 = template_expr_eval(e, &scope, &v1, &err);
	if ((r1 == TEMPLATE_OK) != (v1 != NULL) || (r1 != TEMPLATE_OK && !err.len))
		abort();
	strbuf_reset(&err);
	r2 = template_expr_eval(e, &scope, &v2, &err);
	if (r1 != r2 || (v1 && !json_equal(v1, v2)))
		abort();
	str = json_string(text);
	if (str) { /* valid UTF-8 only */
		strbuf_reset(&err);
		r3 = template_value_eval(str, &scope, &v3, &err);
		if (r3 != r1 || (v1 && !json_equal(v1, v3)))
			abort();
		json_decref(str);
	}
out:
	template_expr_free(e);
	json_decref(v1);
	json_decref(v2);
	json_decref(v3);
	strbuf_release(&err);
	free(text);
	return 0;
}
