/*
 * output — the writers of `policyctl check`: text, json and SARIF 2.1.0.
 *
 * text:  FILE:LINE:COLUMN: LEVEL RULE NAME: MESSAGE, one line per finding (suppressed ones
 *        too, marked "suppressed"), then a summary line.
 * json:  {"version": 1, "summary": {...}, "findings": [...]}.
 * sarif: one run whose tool.driver lists every rule (id, name, descriptions, help with the
 *        fix, default level, security-severity); results with physical locations (uri
 *        relative as given, startLine, startColumn in code points), partialFingerprints
 *        ("policyctl/v1": SHA-256 of rule, file and the resource's logical id, not its
 *        line, so code scanning follows a finding across commits) and suppressions.
 */
#ifndef IAC_OUTPUT_H
#define IAC_OUTPUT_H

#include "iac/finding.h"
#include "lib/strbuf.h"

enum iac_format {
	IAC_FORMAT_TEXT,
	IAC_FORMAT_JSON,
	IAC_FORMAT_SARIF,
};

#define IAC_FORMAT_NAMES "text|json|sarif"

/* Parses a --format value. Returns 0, or -1 for an unknown name. */
int iac_format_parse(const char *name, enum iac_format *format);

/* Appends report (borrowed) in format to out. version is the tool's version (borrowed). */
void iac_output_write(struct strbuf *out, const struct iac_report *report,
		      enum iac_format format, const char *version);

/* The fingerprint of a finding: 64 hex digits into hex (65 bytes). */
void iac_output_fingerprint(const struct iac_finding *finding, char hex[65]);

#endif
