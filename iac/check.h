/*
 * check — `policyctl check` as a library call: walk paths, recognise each file by content,
 * read it (arm_template, tf_plan), run the rules, apply suppressions.
 *
 * Recognition: an ARM template has a deploymentTemplate $schema (or resources and
 * contentVersion); a Terraform plan has format_version and resource_changes, planned_values
 * or values. In a directory walk, *.json files that are neither are skipped (a debug line),
 * as are hidden folders and node_modules; a named file that is neither, or any file that is
 * not readable JSON but looks like a template or plan, is unreadable input.
 */
#ifndef IAC_CHECK_H
#define IAC_CHECK_H

#include <stddef.h>

#include <jansson.h>

#include "iac/finding.h"
#include "iac/suppress.h"

struct iac_check_options {
	const json_t *parameter_file; /* parsed --parameters file (borrowed, may be NULL) */
	const char *today;            /* "YYYY-MM-DD": suppressions expire after this day */
};

enum iac_check_result {
	IAC_CHECK_OK = 0,
	IAC_CHECK_UNREADABLE, /* some input could not be read: each said with msg_error */
};

/*
 * Checks text (len bytes, borrowed) as the file name. named: given on the command line
 * (so a file that is neither template nor plan is an error, not skipped). Findings go to
 * report.
 */
enum iac_check_result iac_check_text(const char *name, const char *text, size_t len, int named,
				     const struct iac_check_options *options,
				     struct iac_report *report);

/* Checks a file or, recursively, a directory. Continues past unreadable files. */
enum iac_check_result iac_check_path(const char *path, const struct iac_check_options *options,
				     struct iac_report *report);

/* After all paths: applies the suppressions file (may be NULL) and sorts the findings. */
void iac_check_finish(const struct suppress_set *suppressions,
		      const struct iac_check_options *options, struct iac_report *report);

#endif
