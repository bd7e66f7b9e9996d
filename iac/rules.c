/*
 * rules — the rule table and the site checks (see rules.h).
 */
#include <string.h>
#include <strings.h>

#include "iac/rules.h"
#include "lib/banned.h"

static const struct iac_rule_info rules[IAC_RULE_COUNT] = {
	[IAC_RULE_CERT_DISABLED] = {
		"PCTL001", "client-cert-disabled", IAC_LEVEL_ERROR,
		"App Service app or slot does not require incoming client certificates",
		"clientCertEnabled is false or not set (App Service's default is false), so the app "
		"accepts clients without a certificate and the Deny policy refuses the deployment. "
		"Fix: set properties.clientCertEnabled to true (Terraform: client_certificate_enabled "
		"= true, legacy resources client_cert_enabled = true).",
		"7.5" },
	[IAC_RULE_MODE_NOT_REQUIRED] = {
		"PCTL002", "client-cert-mode-not-required", IAC_LEVEL_ERROR,
		"App Service client certificate mode is not Required",
		"clientCertMode Optional or OptionalInteractiveUser lets clients in without a "
		"certificate; a template that does not set it leaves the Deny policy nothing to "
		"match. Fix: set properties.clientCertMode to \"Required\" (Terraform: "
		"client_certificate_mode = \"Required\", legacy resources client_cert_mode).",
		"7.5" },
	[IAC_RULE_EXCLUSIONS_INEFFECTIVE] = {
		"PCTL003", "client-cert-exclusions-with-http2-or-tls13", IAC_LEVEL_WARNING,
		"Client certificate exclusion paths with HTTP/2 or minimum TLS 1.3",
		"Exclusion paths work by TLS renegotiation, which HTTP/2 and TLS 1.3 do not allow: "
		"with either, the excluded paths do not behave as configured. Fix: remove "
		"clientCertExclusionPaths, or turn http20Enabled off and keep minTlsVersion at 1.2.",
		"4.0" },
	[IAC_RULE_UNKNOWN] = {
		"PCTL004", "value-unknown", IAC_LEVEL_WARNING,
		"A value the client certificate rules need is only known at deployment",
		"The value comes from an expression policyctl check cannot resolve offline "
		"(reference(), resourceGroup(), a parameter without a value) or, in a Terraform "
		"plan, is known only after apply. Fix: pass --parameters FILE, use a literal, or "
		"suppress with an owner and an expiry once the deployed value is verified.",
		"5.0" },
	[IAC_RULE_LINKED_TEMPLATE] = {
		"PCTL005", "linked-template-not-read", IAC_LEVEL_NOTE,
		"A nested deployment links a template that is not read",
		"templateLink deployments are fetched by ARM at deployment time. Fix: check the "
		"linked template on its own (policyctl check FILE).",
		"1.0" },
	[IAC_RULE_SUPPRESSION_EXPIRED] = {
		"PCTL006", "suppression-expired", IAC_LEVEL_ERROR,
		"A suppression has passed its expiry date",
		"An expired suppression no longer hides its finding and is itself a finding, as an "
		"expired exemption is. Fix: fix the resource and remove the suppression, or renew "
		"it with its owner's agreement (new expires date).",
		"5.0" },
	[IAC_RULE_SUPPRESSION_INVALID] = {
		"PCTL007", "suppression-invalid", IAC_LEVEL_ERROR,
		"An inline suppression marker lacks an owner, an expiry or a known rule",
		"A marker reads 'policyctl-suppress: RULE[,RULE] owner=WHO expires=YYYY-MM-DD "
		"[reason=TEXT]'; one without owner or expiry suppresses nothing. Fix: complete "
		"the marker.",
		"5.0" },
};

const struct iac_rule_info *iac_rule_info(enum iac_rule rule)
{
	return &rules[rule];
}

int iac_rule_by_id(const char *id)
{
	int i;
	for (i = 0; i < IAC_RULE_COUNT; i++)
		if (!strcasecmp(rules[i].id, id) || !strcasecmp(rules[i].name, id))
			return i;
	return -1;
}

const char *iac_level_name(enum iac_level level)
{
	switch (level) {
	case IAC_LEVEL_ERROR: return "error";
	case IAC_LEVEL_WARNING: return "warning";
	default: return "note";
	}
}

static int contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (; *haystack; haystack++)
		if (!strncasecmp(haystack, needle, n))
			return 1;
	return 0;
}

int iac_kind_out_of_scope(const char *kind)
{
	return kind && (contains_nocase(kind, "workflowapp") ||
			contains_nocase(kind, "azurecontainerapps"));
}

int iac_kind_is_function(const char *kind)
{
	return kind && contains_nocase(kind, "functionapp");
}

/* A short rendering of a known value for messages ("false", "\"Optional\""). */
static void add_value(struct strbuf *sb, const json_t *v)
{
	if (json_is_string(v))
		strbuf_addf(sb, "\"%s\"", json_string_value(v));
	else if (json_is_true(v))
		strbuf_addstr(sb, "true");
	else if (json_is_false(v))
		strbuf_addstr(sb, "false");
	else if (json_is_null(v))
		strbuf_addstr(sb, "null");
	else if (json_is_integer(v))
		strbuf_addf(sb, "%lld", (long long)json_integer_value(v));
	else
		strbuf_addstr(sb, json_is_object(v) ? "an object" : json_is_array(v) ? "an array" : "a number");
}

static int value_is_true(const json_t *v)
{
	return json_is_true(v) || (json_is_string(v) && !strcasecmp(json_string_value(v), "true"));
}

static void add_subject(struct strbuf *sb, const struct iac_site *site)
{
	if (site->source == IAC_SOURCE_TERRAFORM)
		strbuf_addstr(sb, site->name); /* the address names the type already */
	else
		strbuf_addf(sb, "%s '%s'", site->type, site->name);
}

static void report_unknown(const struct iac_site *site, const char *file, const char *attr,
			   const struct iac_value *v, const char *subject, struct iac_report *report)
{
	struct strbuf id = STRBUF_INIT;
	strbuf_addf(&id, "%s#%s", site->logical_id, attr);
	iac_report_add(report, IAC_RULE_UNKNOWN, file, site->pos, subject, site->name, id.buf,
		       "%s: %s is unknown: %s", subject, attr, v->why);
	strbuf_release(&id);
}

void iac_rules_check_site(const struct iac_site *site, const char *file,
			  struct iac_report *report)
{
	const struct iac_attr_names *a = site->attrs;
	struct strbuf subject = STRBUF_INIT, value = STRBUF_INIT, cond = STRBUF_INIT;
	int enabled_true = 0;

	add_subject(&subject, site);
	if (site->condition_note)
		strbuf_addf(&cond, " (deployed only if its condition holds, which is unknown: %s)",
			    site->condition_note);

	switch (site->enabled.state) {
	case IAC_ABSENT:
		iac_report_add(report, IAC_RULE_CERT_DISABLED, file, site->pos, subject.buf,
			       site->name, site->logical_id,
			       "%s: %s is not set (App Service's default is false): %s%s",
			       subject.buf, a->enabled, a->enable_fix, cond.buf);
		break;
	case IAC_KNOWN:
		if (value_is_true(site->enabled.json)) {
			enabled_true = 1;
			break;
		}
		add_value(&value, site->enabled.json);
		iac_report_add(report, IAC_RULE_CERT_DISABLED, file, site->pos, subject.buf,
			       site->name, site->logical_id, "%s: %s is %s: %s%s",
			       subject.buf, a->enabled, value.buf, a->enable_fix, cond.buf);
		break;
	case IAC_UNKNOWN:
		report_unknown(site, file, a->enabled, &site->enabled, subject.buf, report);
		break;
	}

	strbuf_reset(&value);
	switch (site->mode.state) {
	case IAC_ABSENT:
		iac_report_add(report, IAC_RULE_MODE_NOT_REQUIRED, file, site->pos, subject.buf,
			       site->name, site->logical_id,
			       "%s: %s is not set: set it to \"Required\"%s", subject.buf, a->mode,
			       cond.buf);
		break;
	case IAC_KNOWN:
		if (json_is_string(site->mode.json) &&
		    !strcasecmp(json_string_value(site->mode.json), "Required"))
			break;
		add_value(&value, site->mode.json);
		iac_report_add(report, IAC_RULE_MODE_NOT_REQUIRED, file, site->pos, subject.buf,
			       site->name, site->logical_id,
			       "%s: %s is %s: set it to \"Required\"%s", subject.buf, a->mode,
			       value.buf, cond.buf);
		break;
	case IAC_UNKNOWN:
		report_unknown(site, file, a->mode, &site->mode, subject.buf, report);
		break;
	}

	/* Exclusion paths matter only where certificates are asked for at all. */
	if (enabled_true && site->exclusion_paths.state != IAC_ABSENT) {
		const json_t *paths = site->exclusion_paths.json;
		int has_paths = site->exclusion_paths.state == IAC_UNKNOWN ||
				(json_is_string(paths) && json_string_length(paths) > 0);
		int http2 = site->http2.state == IAC_KNOWN && value_is_true(site->http2.json);
		int tls13 = site->min_tls.state == IAC_KNOWN && json_is_string(site->min_tls.json) &&
			    !strcmp(json_string_value(site->min_tls.json), "1.3");
		int risky = http2 || tls13 || site->http2.state == IAC_UNKNOWN ||
			    site->min_tls.state == IAC_UNKNOWN;
		if (site->exclusion_paths.state == IAC_UNKNOWN) {
			if (risky)
				report_unknown(site, file, a->exclusion_paths, &site->exclusion_paths,
					       subject.buf, report);
		} else if (has_paths && (http2 || tls13)) {
			iac_report_add(report, IAC_RULE_EXCLUSIONS_INEFFECTIVE, file, site->pos,
				       subject.buf, site->name, site->logical_id,
				       "%s: %s \"%s\" with %s: exclusions need TLS renegotiation, "
				       "which %s does not allow%s",
				       subject.buf, a->exclusion_paths, json_string_value(paths),
				       http2 ? (tls13 ? "HTTP/2 and minimum TLS 1.3" : "HTTP/2")
					     : "minimum TLS 1.3",
				       http2 ? "HTTP/2" : "TLS 1.3", cond.buf);
		} else if (has_paths) {
			if (site->http2.state == IAC_UNKNOWN)
				report_unknown(site, file, a->http2, &site->http2, subject.buf, report);
			if (site->min_tls.state == IAC_UNKNOWN)
				report_unknown(site, file, a->min_tls, &site->min_tls, subject.buf,
					       report);
		}
	}
	strbuf_release(&subject);
	strbuf_release(&value);
	strbuf_release(&cond);
}
