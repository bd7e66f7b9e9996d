/*
 * output — text, json and SARIF writers (see output.h).
 */
#include <string.h>

#include <openssl/evp.h>

#include "iac/output.h"
#include "iac/rules.h"
#include "lib/jsonutil.h"
#include "lib/banned.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

int iac_format_parse(const char *name, enum iac_format *format)
{
	if (!strcmp(name, "text"))
		*format = IAC_FORMAT_TEXT;
	else if (!strcmp(name, "json"))
		*format = IAC_FORMAT_JSON;
	else if (!strcmp(name, "sarif"))
		*format = IAC_FORMAT_SARIF;
	else
		return -1;
	return 0;
}

void iac_output_fingerprint(const struct iac_finding *finding, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *id = iac_rule_info(finding->rule)->id;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, id, strlen(id) + 1);
	EVP_DigestUpdate(ctx, finding->file, strlen(finding->file) + 1);
	EVP_DigestUpdate(ctx, finding->logical_id, strlen(finding->logical_id));
	EVP_DigestFinal_ex(ctx, digest, &len);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < len && i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[2 * i] = '\0';
}

struct counts {
	size_t errors, warnings, notes, suppressed;
};

static struct counts count_findings(const struct iac_report *report)
{
	struct counts c = { 0, 0, 0, 0 };
	size_t i;
	for (i = 0; i < report->count; i++) {
		const struct iac_finding *f = &report->findings[i];
		if (f->suppression) {
			c.suppressed++;
			continue;
		}
		switch (iac_rule_info(f->rule)->level) {
		case IAC_LEVEL_ERROR: c.errors++; break;
		case IAC_LEVEL_WARNING: c.warnings++; break;
		default: c.notes++; break;
		}
	}
	return c;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void write_text(struct strbuf *out, const struct iac_report *report)
{
	struct counts c = count_findings(report);
	size_t i;
	for (i = 0; i < report->count; i++) {
		const struct iac_finding *f = &report->findings[i];
		const struct iac_rule_info *rule = iac_rule_info(f->rule);
		strbuf_addf(out, "%s:%u:%u: %s %s %s: %s", f->file, f->pos.line, f->pos.column,
			    f->suppression ? "suppressed" : iac_level_name(rule->level), rule->id,
			    rule->name, f->message);
		if (f->suppression)
			strbuf_addf(out, " (suppressed by %s until %s, %s)", f->suppression->owner,
				    f->suppression->expires, f->suppression->where);
		strbuf_addch(out, '\n');
	}
	strbuf_addf(out, "checked %zu %s, %zu %s (%zu out of scope): %zu %s, %zu %s, %zu %s, "
		    "%zu suppressed\n",
		    report->files_checked, plural(report->files_checked, "file", "files"),
		    report->sites_checked, plural(report->sites_checked, "app or slot", "apps and slots"),
		    report->sites_skipped, c.errors, plural(c.errors, "error", "errors"), c.warnings,
		    plural(c.warnings, "warning", "warnings"), c.notes, plural(c.notes, "note", "notes"),
		    c.suppressed);
}

static json_t *suppression_json(const struct iac_suppression *s)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
			 s->kind == IAC_SUPPRESSED_INLINE ? "inline" : "file", "owner", s->owner,
			 "expires", s->expires, "reason", s->reason, "where", s->where);
}

static void write_json(struct strbuf *out, const struct iac_report *report)
{
	struct counts c = count_findings(report);
	json_t *findings = json_array(), *root;
	size_t i;
	for (i = 0; i < report->count; i++) {
		const struct iac_finding *f = &report->findings[i];
		const struct iac_rule_info *rule = iac_rule_info(f->rule);
		char fingerprint[65];
		iac_output_fingerprint(f, fingerprint);
		json_array_append_new(findings, json_pack(
			"{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:o}",
			"ruleId", rule->id, "rule", rule->name, "level", iac_level_name(rule->level),
			"file", f->file, "line", (json_int_t)f->pos.line, "column",
			(json_int_t)f->pos.column, "subject", f->subject, "resource", f->resource_name,
			"message", f->message, "fingerprint", fingerprint, "suppression",
			f->suppression ? suppression_json(f->suppression) : json_null()));
	}
	root = json_pack("{s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}", "version", 1,
			 "summary", "files", (json_int_t)report->files_checked, "sites",
			 (json_int_t)report->sites_checked, "outOfScope", (json_int_t)report->sites_skipped,
			 "errors", (json_int_t)c.errors, "warnings", (json_int_t)c.warnings, "notes",
			 (json_int_t)c.notes, "suppressed", (json_int_t)c.suppressed,
			 "findings", findings);
	jsonutil_add_pretty(out, root);
	json_decref(root);
}

/* A relative path as a URI reference; an absolute one as a file: URI. */
static void add_uri(struct strbuf *sb, const char *path)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (*p == '/')
		strbuf_addstr(sb, "file://");
	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			strbuf_addch(sb, *p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, digits[*p >> 4]);
			strbuf_addch(sb, digits[*p & 15]);
		}
	}
}

static const char *sarif_level(enum iac_level level)
{
	return iac_level_name(level); /* SARIF's levels are the same words */
}

static json_t *sarif_rules(void)
{
	json_t *rules = json_array();
	int i;
	for (i = 0; i < IAC_RULE_COUNT; i++) {
		const struct iac_rule_info *r = iac_rule_info((enum iac_rule)i);
		json_array_append_new(rules, json_pack(
			"{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s}, s:{s:[s,s,s], s:s}}",
			"id", r->id, "name", r->name, "shortDescription", "text", r->summary,
			"fullDescription", "text", r->help, "help", "text", r->help, "markdown",
			r->help, "defaultConfiguration", "level", sarif_level(r->level), "properties",
			"tags", "security", "azure", "app-service", "security-severity",
			r->security_severity));
	}
	return rules;
}

static void write_sarif(struct strbuf *out, const struct iac_report *report, const char *version)
{
	json_t *results = json_array(), *root;
	size_t i;
	for (i = 0; i < report->count; i++) {
		const struct iac_finding *f = &report->findings[i];
		const struct iac_rule_info *rule = iac_rule_info(f->rule);
		struct strbuf uri = STRBUF_INIT;
		char fingerprint[65];
		json_t *result, *region;

		iac_output_fingerprint(f, fingerprint);
		add_uri(&uri, f->file);
		region = json_object();
		if (f->pos.line) {
			json_object_set_new(region, "startLine", json_integer(f->pos.line));
			json_object_set_new(region, "startColumn", json_integer(f->pos.column ? f->pos.column : 1));
		} else {
			json_object_set_new(region, "startLine", json_integer(1));
		}
		result = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}, s:o}}], s:{s:s}}",
				   "ruleId", rule->id, "ruleIndex", (json_int_t)f->rule, "level",
				   sarif_level(rule->level), "message", "text", f->message,
				   "locations", "physicalLocation", "artifactLocation", "uri", uri.buf,
				   "region", region, "partialFingerprints", "policyctl/v1", fingerprint);
		if (f->suppression) {
			const struct iac_suppression *s = f->suppression;
			struct strbuf justification = STRBUF_INIT;
			strbuf_addf(&justification, "%s%sowner %s, expires %s", s->reason,
				    *s->reason ? "; " : "", s->owner, s->expires);
			json_object_set_new(result, "suppressions", json_pack(
				"[{s:s, s:s, s:s, s:{s:s, s:s, s:s}}]", "kind",
				s->kind == IAC_SUPPRESSED_INLINE ? "inSource" : "external", "status",
				"accepted", "justification", justification.buf, "properties", "owner",
				s->owner, "expires", s->expires, "where", s->where));
			strbuf_release(&justification);
		}
		json_array_append_new(results, result);
		strbuf_release(&uri);
	}
	root = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:s, s:o}]}",
			 "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", "tool", "driver",
			 "name", "policyctl", "version", version, "semanticVersion", version,
			 "rules", sarif_rules(),
			 "columnKind", "unicodeCodePoints", "results", results);
	jsonutil_add_pretty(out, root);
	json_decref(root);
}

void iac_output_write(struct strbuf *out, const struct iac_report *report,
		      enum iac_format format, const char *version)
{
	switch (format) {
	case IAC_FORMAT_TEXT:
		write_text(out, report);
		break;
	case IAC_FORMAT_JSON:
		write_json(out, report);
		break;
	case IAC_FORMAT_SARIF:
		write_sarif(out, report, version);
		break;
	}
}
