/*
 * render — builds the policy set from the templates in templates/ (see render.h).
 *
 * All policy content (rules, aliases, parameters, groups, the remediation deployment) lives in
 * the templates; this file only decides which template gets which typed value: names and ids
 * from the config's scope, the config's strings, and the fragments that depend on
 * require_mode. templates/targets.json lists the four kinds of site the DeployIfNotExists
 * definitions cover.
 */
#include <stdlib.h>
#include <string.h>

#include "generator/render.h"
#include "generator/json_template.h"
#include "lib/jsonutil.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define AUTHZ "/providers/Microsoft.Authorization/"
#define DENY_SUFFIX "deny"
#define DENY_REFERENCE_ID "deny-sites-without-client-cert"
#define GOVERN_SUFFIX "exemptions"
#define GOVERN_REFERENCE_ID "deny-exemptions-without-expiry"
/* The longest suffix a definition name gets ("-functionapp-slot"), for the length check. */
#define LONGEST_SUFFIX 17
#define NAME_MAX_LEN 128

/* Indexed by enum deploy_kind. */
static const struct {
	const char *collection;
	const char *type;
} kind_names[] = {
	{ "policyDefinitions", "Microsoft.Authorization/policyDefinitions" },
	{ "policySetDefinitions", "Microsoft.Authorization/policySetDefinitions" },
	{ "policyAssignments", "Microsoft.Authorization/policyAssignments" },
};

const char *render_kind_collection(enum deploy_kind kind)
{
	return kind_names[kind].collection;
}

const char *render_kind_type(enum deploy_kind kind)
{
	return kind_names[kind].type;
}

void render_scope_of_management_group(struct strbuf *sb, const char *management_group)
{
	strbuf_addf(sb, "/providers/Microsoft.Management/managementGroups/%s", management_group);
}

void render_scope_of_subscription(struct strbuf *sb, const char *subscription)
{
	strbuf_addf(sb, "/subscriptions/%s", subscription);
}

/* Appends a resource; steals body. */
static void add_resource(struct deploy_set *out, enum deploy_kind kind, const char *scope,
			 const char *name, json_t *body)
{
	struct strbuf id = STRBUF_INIT;
	strbuf_addf(&id, "%s" AUTHZ "%s/%s", scope, render_kind_collection(kind), name);
	deploy_set_add(out, kind, scope, name, id.buf, RENDER_API_VERSION, body);
	strbuf_release(&id);
}

/* Everything that stays the same across the scopes of one render. */
struct render_state {
	const struct config *cfg;  /* borrowed */
	json_t *memo;              /* borrowed: render_memo's definitions, or NULL */
	json_t *targets;           /* templates/targets.json; owned */
	const char *mode_key;      /* "requireMode" or "enabledOnly" (cert-conditions.json) */
	struct deploy_set *out;  /* borrowed */
	struct strbuf *err;        /* borrowed */
};

/* cert-conditions.json for one resource type, e.g. "Microsoft.Web/sites/slots". */
static json_t *cert_conditions(const char *resource_type, struct strbuf *err)
{
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	struct strbuf alias = STRBUF_INIT;
	json_t *out;

	strbuf_addf(&alias, "%s/clientCertEnabled", resource_type);
	json_template_params_set_string(&params, "enabled_alias", alias.buf);
	strbuf_reset(&alias);
	strbuf_addf(&alias, "%s/clientCertMode", resource_type);
	json_template_params_set_string(&params, "mode_alias", alias.buf);
	out = json_template_render_file("cert-conditions.json", &params, err);
	json_template_params_release(&params);
	strbuf_release(&alias);
	return out;
}

/* Picks conditions[section][mode_key] as a new reference, or NULL with err set. */
static json_t *pick(const json_t *conditions, const char *section, const char *mode_key,
		    struct strbuf *err)
{
	json_t *value = json_object_get(json_object_get(conditions, section), mode_key);
	if (!value) {
		strbuf_addf(err, "template 'cert-conditions.json': no '%s.%s'", section, mode_key);
		return NULL;
	}
	return json_incref(value);
}

static const char *target_string(const json_t *target, const char *key, struct strbuf *err)
{
	const char *s = json_string_value(json_object_get(target, key));
	if (!s)
		strbuf_addf(err, "template 'targets.json': a target lacks string '%s'", key);
	return s;
}

/*
 * Renders template_name with params plus the metadata every definition carries, and adds
 * it as the definition "{initiative.name}-{suffix}" at scope. 0, or -1 with st->err set
 * (also when an earlier step already failed and left its error there).
 */
static int add_definition(struct render_state *st, const char *scope, const char *template_name,
			  const char *suffix, struct json_template_params *params)
{
	struct strbuf name = STRBUF_INIT;
	json_t *body;

	json_template_params_set_string(params, "version", st->cfg->initiative_version);
	json_template_params_set_string(params, "category", st->cfg->initiative_category);
	if (st->err->len)
		return -1;
	body = json_template_render_file(template_name, params, st->err);
	if (!body)
		return -1;
	strbuf_addf(&name, "%s-%s", st->cfg->initiative_name, suffix);
	if (st->memo)
		json_object_set(st->memo, name.buf, body);
	add_resource(st->out, DEPLOY_POLICY_DEFINITION, scope, name.buf, body);
	strbuf_release(&name);
	return 0;
}

/* Adds definition "{initiative.name}-{suffix}" at scope from the memo: 1 when it was there
 * (nothing to render), 0 when it must be rendered. */
static int reuse_definition(struct render_state *st, const char *scope, const char *suffix)
{
	struct strbuf name = STRBUF_INIT;
	json_t *body;
	strbuf_addf(&name, "%s-%s", st->cfg->initiative_name, suffix);
	body = st->memo ? json_object_get(st->memo, name.buf) : NULL;
	if (body)
		add_resource(st->out, DEPLOY_POLICY_DEFINITION, scope, name.buf, json_incref(body));
	strbuf_release(&name);
	return body != NULL;
}

/* The four DeployIfNotExists definitions at scope. */
static int render_dine(struct render_state *st, const char *scope)
{
	const struct config *cfg = st->cfg;
	const char *key;
	json_t *target;
	int ret = -1;

	json_object_foreach(st->targets, key, target) {
		struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
		struct strbuf text = STRBUF_INIT;
		const char *suffix = target_string(target, "nameSuffix", st->err);
		const char *subject = target_string(target, "subject", st->err);
		const char *type = target_string(target, "resourceType", st->err);
		const char *name_field = target_string(target, "nameField", st->err);
		json_t *kinds = json_object_get(target, "kindConditions");
		json_t *conditions = NULL, *applies_to;

		if (!suffix || !subject || !type || !name_field)
			goto next;
		if (reuse_definition(st, scope, suffix))
			goto next;
		if (!json_is_array(kinds)) {
			strbuf_addf(st->err, "template 'targets.json': '%s' lacks array 'kindConditions'", key);
			goto next;
		}
		conditions = cert_conditions(type, st->err);
		if (!conditions)
			goto next;

		strbuf_addf(&text, "Configure %s to require incoming client certificates", subject);
		json_template_params_set_string(&params, "display_name", text.buf);
		strbuf_reset(&text);
		if (cfg->initiative_require_mode)
			strbuf_addf(&text, "Sets clientCertEnabled=true and clientCertMode=Required on "
				    "%s that lack them, keeping every other property of the site. "
				    "Optional modes admit clients without a certificate, so they are "
				    "non-compliant.", subject);
		else
			strbuf_addf(&text, "Sets clientCertEnabled=true on %s that lack it, keeping "
				    "every other property of the site (clientCertMode is not checked).",
				    subject);
		json_template_params_set_string(&params, "description", text.buf);
		applies_to = json_pack("[{s:s, s:s}]", "field", "type", "equals", type);
		json_array_extend(applies_to, kinds);
		json_template_params_set_new(&params, "applies_to", applies_to);
		json_template_params_set_string(&params, "resource_type", type);
		json_template_params_set_string(&params, "name_field", name_field);
		json_template_params_set_new(&params, "existence_condition",
					pick(conditions, "compliant", st->mode_key, st->err));
		json_template_params_set_new(&params, "cert_settings",
					pick(conditions, "settings", st->mode_key, st->err));
		add_definition(st, scope, "dine-definition.json", suffix, &params);
next:
		json_decref(conditions);
		json_template_params_release(&params);
		strbuf_release(&text);
		if (st->err->len)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

static int render_deny(struct render_state *st, const char *scope)
{
	const struct config *cfg = st->cfg;
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	json_t *site = NULL, *slot = NULL;
	int ret = -1;

	if (reuse_definition(st, scope, DENY_SUFFIX))
		return 0;
	site = cert_conditions("Microsoft.Web/sites", st->err);
	slot = site ? cert_conditions("Microsoft.Web/sites/slots", st->err) : NULL;
	if (!slot)
		goto out;
	json_template_params_set_string(&params, "display_name",
		"App Service apps and slots must be created with client certificates required");
	json_template_params_set_string(&params, "description", cfg->initiative_require_mode ?
		"Refuses creating or updating an App Service app or slot unless clientCertEnabled "
		"is true and clientCertMode is Required." :
		"Refuses creating or updating an App Service app or slot unless clientCertEnabled "
		"is true.");
	json_template_params_set_new(&params, "site_noncompliant",
				pick(site, "noncompliant", st->mode_key, st->err));
	json_template_params_set_new(&params, "slot_noncompliant",
				pick(slot, "noncompliant", st->mode_key, st->err));
	ret = add_definition(st, scope, "deny-definition.json", DENY_SUFFIX, &params);
out:
	json_decref(site);
	json_decref(slot);
	json_template_params_release(&params);
	return ret;
}

/*
 * [exemptions] govern: the definition refusing exemptions of this assignment without an
 * expiry or beyond max_duration (whole days, at least one). A preview-risk choice
 * (docs/exemptions.md): Azure Policy evaluates policyExemptions writes, and the rule uses
 * utcNow() and addDays(), which Azure Policy allows in rules.
 */
static int render_govern(struct render_state *st, const char *scope)
{
	const struct config *cfg = st->cfg;
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	struct strbuf text = STRBUF_INIT;
	long days = cfg->exemptions_max_duration / 86400000L;
	int ret;

	if (reuse_definition(st, scope, GOVERN_SUFFIX))
		return 0;
	if (days < 1)
		days = 1;
	strbuf_addf(&text, "Exemptions from the client-certificate assignment must expire within "
		    "%ld days", days);
	json_template_params_set_string(&params, "display_name", text.buf);
	strbuf_reset(&text);
	strbuf_addf(&text, "Refuses a policy exemption of the assignment '%s' that has no expiresOn "
		    "or expires more than %ld days from now ([exemptions] max_duration). Preview "
		    "risk: relies on Azure Policy evaluating Microsoft.Authorization/policyExemptions.",
		    cfg->assignment_name, days);
	json_template_params_set_string(&params, "description", text.buf);
	strbuf_reset(&text);
	strbuf_addf(&text, "*/providers/Microsoft.Authorization/policyAssignments/%s",
		    cfg->assignment_name);
	json_template_params_set_string(&params, "assignment_pattern", text.buf);
	strbuf_reset(&text);
	strbuf_addf(&text, "[addDays(utcNow(), %ld)]", days);
	json_template_params_set_string(&params, "latest_expiry", text.buf);
	ret = add_definition(st, scope, "exemption-deny-definition.json", GOVERN_SUFFIX, &params);
	json_template_params_release(&params);
	strbuf_release(&text);
	return ret;
}

/* Appends one initiative member to members; returns 0 or -1 with err set. */
static int add_member(json_t *members, const char *reference_id, const char *definition_id,
		      const char *effect_parameter, struct strbuf *err)
{
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	struct strbuf effect = STRBUF_INIT;
	json_t *member;

	strbuf_addf(&effect, "[parameters('%s')]", effect_parameter);
	json_template_params_set_string(&params, "reference_id", reference_id);
	json_template_params_set_string(&params, "definition_id", definition_id);
	json_template_params_set_string(&params, "effect_expression", effect.buf);
	member = json_template_render_file("initiative-member.json", &params, err);
	json_template_params_release(&params);
	strbuf_release(&effect);
	if (!member)
		return -1;
	json_array_append_new(members, member);
	return 0;
}

static int render_initiative(struct render_state *st, const char *scope, size_t first_definition)
{
	const struct config *cfg = st->cfg;
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	json_t *members = json_array(), *parameters = NULL, *target, *body;
	const char *key;
	size_t i = first_definition;
	int ret = -1;

	json_object_foreach(st->targets, key, target) {
		const char *reference_id = target_string(target, "referenceId", st->err);
		if (!reference_id || add_member(members, reference_id, st->out->resources[i++].id,
						"effect", st->err))
			goto out;
		if (!string_list_has(&st->out->reference_ids, reference_id))
			string_list_append(&st->out->reference_ids, reference_id);
	}
	if (add_member(members, DENY_REFERENCE_ID, st->out->resources[i++].id, "denyEffect", st->err))
		goto out;
	/* the exemption rule follows the preventive effect: Audit there audits here too */
	if (cfg->exemptions_govern &&
	    add_member(members, GOVERN_REFERENCE_ID, st->out->resources[i].id, "denyEffect", st->err))
		goto out;
	if (cfg->initiative_include_builtin_audits)
		json_object_foreach(st->targets, key, target) {
			const char *id = target_string(target, "builtinAudit", st->err);
			const char *reference_id = target_string(target, "builtinReferenceId", st->err);
			if (!id || !reference_id ||
			    add_member(members, reference_id, id, "builtinAuditEffect", st->err))
				goto out;
		}

	parameters = json_template_render_file("initiative-parameters.json", &params, st->err);
	if (!parameters)
		goto out;
	if (!cfg->initiative_include_builtin_audits)
		json_object_del(parameters, "builtinAuditEffect");

	json_template_params_set_string(&params, "display_name", cfg->initiative_display_name);
	json_template_params_set_string(&params, "description",
		"Makes App Service apps, function apps and their slots require incoming client "
		"certificates (CIS Microsoft Azure Foundations 9.4): remediates existing sites, "
		"refuses new ones without, and reports.");
	json_template_params_set_string(&params, "version", cfg->initiative_version);
	json_template_params_set_string(&params, "category", cfg->initiative_category);
	json_template_params_set_new(&params, "parameters", parameters);
	json_template_params_set_new(&params, "members", members);
	parameters = members = NULL;
	body = json_template_render_file("initiative.json", &params, st->err);
	if (!body)
		goto out;
	add_resource(st->out, DEPLOY_POLICY_SET_DEFINITION, scope, cfg->initiative_name, body);
	ret = 0;
out:
	json_decref(members);
	json_decref(parameters);
	json_template_params_release(&params);
	return ret;
}

static json_t *identity_of(const struct config *cfg)
{
	const char *id = cfg->assignment_identity;
	if (!strncmp(id, "user:", 5))
		return json_pack("{s:s, s:{s:{}}}", "type", "UserAssigned",
				 "userAssignedIdentities", id + 5);
	return json_pack("{s:s}", "type", "SystemAssigned");
}

static int render_assignment(struct render_state *st, const char *scope, const char *set_id)
{
	const struct config *cfg = st->cfg;
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	json_t *not_scopes = json_array(), *body;
	size_t i;
	int ret = -1;

	for (i = 0; i < cfg->assignment_not_scopes.nr; i++)
		json_array_append_new(not_scopes, json_string(cfg->assignment_not_scopes.items[i]));
	json_template_params_set_string(&params, "location", cfg->assignment_location);
	json_template_params_set_new(&params, "identity", identity_of(cfg));
	json_template_params_set_string(&params, "display_name", cfg->assignment_display_name);
	json_template_params_set_string(&params, "description",
		"Assigns the client-certificate initiative; its managed identity runs the "
		"DeployIfNotExists remediation.");
	json_template_params_set_string(&params, "policy_set_id", set_id);
	json_template_params_set_string(&params, "enforcement_mode", cfg->assignment_enforcement_mode);
	json_template_params_set_new(&params, "not_scopes", not_scopes);
	json_template_params_set_new(&params, "parameters",
				json_pack("{s:{s:s}, s:{s:s}}",
					  "effect", "value", cfg->assignment_effect,
					  "denyEffect", "value", cfg->assignment_deny_effect));
	json_template_params_set_string(&params, "non_compliance_message",
				   cfg->assignment_non_compliance_message);
	json_template_params_set_string(&params, "version", cfg->initiative_version);
	body = json_template_render_file("assignment.json", &params, st->err);
	if (!body)
		goto out;
	add_resource(st->out, DEPLOY_POLICY_ASSIGNMENT, scope, cfg->assignment_name, body);
	ret = 0;
out:
	json_template_params_release(&params);
	return ret;
}

/* The role definitions the DeployIfNotExists definitions name, in order of first use. */
static void collect_roles(struct deploy_set *out)
{
	size_t i, j;
	for (i = 0; i < out->nr; i++) {
		json_t *roles = jsonutil_path(out->resources[i].body,
					      "properties.policyRule.then.details.roleDefinitionIds");
		json_t *role;
		json_array_foreach(roles, j, role) {
			const char *s = json_string_value(role);
			if (s && !string_list_has(&out->role_definition_ids, s))
				string_list_append(&out->role_definition_ids, s);
		}
	}
}

static int render_scope(struct render_state *st, const char *scope)
{
	size_t first = st->out->nr;
	if (render_dine(st, scope) || render_deny(st, scope) ||
	    (st->cfg->exemptions_govern && render_govern(st, scope)) ||
	    render_initiative(st, scope, first))
		return -1;
	return render_assignment(st, scope, st->out->resources[st->out->nr - 1].id);
}

static enum render_result render_set(const struct config *cfg, json_t *memo,
				     struct deploy_set *out, struct strbuf *err)
{
	struct render_state st = { cfg, memo, NULL, NULL, out, err };
	struct strbuf scope = STRBUF_INIT;
	enum render_result ret = RENDER_ERR_TEMPLATE;
	size_t i;

	if (strlen(cfg->initiative_name) + LONGEST_SUFFIX > NAME_MAX_LEN) {
		if (cfg->line[CONFIG_ID_initiative_name])
			strbuf_addf(err, "%s:%u: ", cfg->path, cfg->line[CONFIG_ID_initiative_name]);
		strbuf_addf(err, "key 'name': expected at most %d characters for an initiative "
			    "(definition names add up to %d), got %zu", NAME_MAX_LEN - LONGEST_SUFFIX,
			    LONGEST_SUFFIX, strlen(cfg->initiative_name));
		ret = RENDER_ERR_CONFIG;
		goto out;
	}
	st.mode_key = cfg->initiative_require_mode ? "requireMode" : "enabledOnly";
	st.targets = json_template_load("targets.json", err);
	if (!st.targets)
		goto out;
	if (!json_is_object(st.targets)) {
		strbuf_addstr(err, "template 'targets.json': expected an object");
		goto out;
	}
	if (cfg->scope_management_group) {
		render_scope_of_management_group(&scope, cfg->scope_management_group);
		if (render_scope(&st, scope.buf))
			goto out;
	}
	for (i = 0; i < cfg->scope_subscriptions.nr; i++) {
		strbuf_reset(&scope);
		render_scope_of_subscription(&scope, cfg->scope_subscriptions.items[i]);
		if (render_scope(&st, scope.buf))
			goto out;
	}
	collect_roles(out);
	ret = RENDER_OK;
out:
	if (ret != RENDER_OK)
		deploy_set_release(out);
	json_decref(st.targets);
	strbuf_release(&scope);
	return ret;
}

enum render_result render_policy_refs(const struct config *cfg, struct deploy_set *out,
				      struct strbuf *err)
{
	struct config first = *cfg; /* shallow: read only, never released */
	enum render_result ret;
	size_t i;

	if (first.scope_subscriptions.nr > 1)
		first.scope_subscriptions.nr = 1;
	ret = render_policy_set(&first, out, err);
	if (ret != RENDER_OK)
		return ret;
	deploy_set_drop_resources(out);
	if (cfg->scope_management_group || cfg->scope_subscriptions.nr <= 1)
		return RENDER_OK; /* the one scope rendered is every scope */
	string_list_clear(&out->assignment_scopes);
	string_list_clear(&out->assignment_ids);
	for (i = 0; i < cfg->scope_subscriptions.nr; i++) {
		struct strbuf scope = STRBUF_INIT, id = STRBUF_INIT;
		render_scope_of_subscription(&scope, cfg->scope_subscriptions.items[i]);
		strbuf_addf(&id, "%s" AUTHZ "%s/%s", scope.buf,
			    render_kind_collection(DEPLOY_POLICY_ASSIGNMENT), cfg->assignment_name);
		string_list_append(&out->assignment_scopes, scope.buf);
		string_list_append(&out->assignment_ids, id.buf);
		strbuf_release(&scope);
		strbuf_release(&id);
	}
	return RENDER_OK;
}

enum render_result render_policy_set(const struct config *cfg, struct deploy_set *out,
				     struct strbuf *err)
{
	return render_set(cfg, NULL, out, err);
}

size_t render_scope_count(const struct config *cfg)
{
	return (cfg->scope_management_group ? 1 : 0) + cfg->scope_subscriptions.nr;
}

void render_memo_init(struct render_memo *memo, const struct config *cfg)
{
	memo->cfg = cfg;
	memo->definitions = json_object();
}

void render_memo_release(struct render_memo *memo)
{
	json_decref(memo->definitions);
	memo->definitions = NULL;
}

enum render_result render_policy_scope(struct render_memo *memo, size_t index,
				       struct deploy_set *out, struct strbuf *err)
{
	const struct config *cfg = memo->cfg;
	struct config one = *cfg; /* shallow: read only, never released */

	if (index >= render_scope_count(cfg)) {
		strbuf_addf(err, "scope %zu of %zu does not exist", index, render_scope_count(cfg));
		return RENDER_ERR_CONFIG;
	}
	if (cfg->scope_management_group && index == 0) {
		one.scope_subscriptions.nr = 0;
	} else {
		index -= cfg->scope_management_group ? 1 : 0;
		one.scope_management_group = NULL;
		one.scope_subscriptions.items = cfg->scope_subscriptions.items + index;
		one.scope_subscriptions.nr = 1;
	}
	return render_set(&one, memo->definitions, out, err);
}

int render_source(void *ctx, size_t index, struct deploy_set *out, struct strbuf *err)
{
	return render_policy_scope(ctx, index, out, err) == RENDER_OK ? 0 : -1;
}
