/*
 * check — walking, recognising and checking files (see check.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "iac/arm_template.h"
#include "iac/check.h"
#include "iac/jsonpos.h"
#include "iac/rules.h"
#include "iac/tf_plan.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define INPUT_CAP ((size_t)256 << 20) /* a plan of a large estate is big, but not this big */
#define MAX_WALK_DEPTH 64

/* Does unparseable text still look like it was meant to be a template or a plan? */
static int looks_like_input(const char *text, size_t len)
{
	static const char *const needles[] = { "deploymentTemplate.json", "\"resource_changes\"",
					       "\"planned_values\"" };
	size_t i, n, at;
	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
		n = strlen(needles[i]);
		for (at = 0; at + n <= len; at++)
			if (text[at] == needles[i][0] && !memcmp(text + at, needles[i], n))
				return 1;
	}
	return 0;
}

enum iac_check_result iac_check_text(const char *name, const char *text, size_t len, int named,
				     const struct iac_check_options *options,
				     struct iac_report *report)
{
	struct json_doc doc = JSON_DOC_INIT;
	struct iac_site_list sites = IAC_SITE_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	enum iac_check_result ret = IAC_CHECK_OK;
	size_t i;

	if (json_doc_parse(&doc, text, len, name, &err) != JSON_DOC_OK) {
		if (named || looks_like_input(text, len)) {
			msg_error("%s", err.buf);
			ret = IAC_CHECK_UNREADABLE;
		} else {
			msg_debug("skipping '%s': not JSON", name);
		}
		goto out;
	}
	if (arm_template_detect(doc.root)) {
		arm_template_read(&doc, name, options->parameter_file, &sites, report);
	} else if (tf_plan_detect(doc.root)) {
		tf_plan_read(&doc, name, &sites, report);
	} else if (named && !arm_parameters_detect(doc.root)) {
		msg_error("%s:1:1: neither an ARM template (a deploymentTemplate $schema) nor a "
			  "Terraform plan (terraform show -json)", name);
		ret = IAC_CHECK_UNREADABLE;
		goto out;
	} else {
		msg_debug("skipping '%s': neither an ARM template nor a Terraform plan", name);
		goto out;
	}
	report->files_checked++;
	for (i = 0; i < sites.count; i++) {
		size_t first = report->count;
		iac_rules_check_site(sites.items[i], name, report);
		suppress_apply_markers(sites.items[i], name, options->today, report, first);
		report->sites_checked++;
	}
out:
	iac_site_list_release(&sites);
	json_doc_release(&doc);
	strbuf_release(&err);
	return ret;
}

static enum iac_check_result check_file(const char *path, int named,
					const struct iac_check_options *options,
					struct iac_report *report)
{
	struct strbuf text = STRBUF_INIT;
	enum iac_check_result ret;
	if (strbuf_read_file(&text, path, INPUT_CAP) < 0) {
		msg_error("cannot read '%s': %s", path, errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
		strbuf_release(&text);
		return IAC_CHECK_UNREADABLE;
	}
	ret = iac_check_text(path, text.buf, text.len, named, options, report);
	strbuf_release(&text);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_json_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && !strcasecmp(name + n - 5, ".json");
}

/* The folders on the current walk path, so a symlink back up is not followed again. */
struct walk_path {
	dev_t dev[MAX_WALK_DEPTH + 1];
	ino_t ino[MAX_WALK_DEPTH + 1];
};

static enum iac_check_result walk(const char *path, const struct iac_check_options *options,
				  struct iac_report *report, struct walk_path *trail, unsigned depth)
{
	DIR *dir;
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0, alloc = 0, i;
	enum iac_check_result ret = IAC_CHECK_OK;

	dir = opendir(path);
	if (!dir) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		return IAC_CHECK_UNREADABLE;
	}
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' || !strcmp(entry->d_name, "node_modules"))
			continue;
		ALLOC_GROW(names, count + 1, alloc);
		names[count++] = xstrdup(entry->d_name);
	}
	closedir(dir);
	qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++) {
		struct strbuf child = STRBUF_INIT;
		struct stat st;
		if (!strcmp(path, "."))
			strbuf_addstr(&child, names[i]);
		else
			strbuf_addf(&child, "%s%s%s", path,
				    path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
		if (stat(child.buf, &st) < 0) {
			msg_debug("skipping '%s': %s", child.buf, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			unsigned k;
			int seen = 0;
			for (k = 0; k <= depth; k++)
				if (trail->dev[k] == st.st_dev && trail->ino[k] == st.st_ino)
					seen = 1;
			if (seen || depth >= MAX_WALK_DEPTH) {
				msg_debug("skipping '%s': a folder already on the walk", child.buf);
			} else {
				trail->dev[depth + 1] = st.st_dev;
				trail->ino[depth + 1] = st.st_ino;
				if (walk(child.buf, options, report, trail, depth + 1) != IAC_CHECK_OK)
					ret = IAC_CHECK_UNREADABLE;
			}
		} else if (S_ISREG(st.st_mode) && has_json_suffix(names[i])) {
			if (check_file(child.buf, 0, options, report) != IAC_CHECK_OK)
				ret = IAC_CHECK_UNREADABLE;
		}
		strbuf_release(&child);
		free(names[i]);
	}
	free(names);
	return ret;
}

enum iac_check_result iac_check_path(const char *path, const struct iac_check_options *options,
				     struct iac_report *report)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		return IAC_CHECK_UNREADABLE;
	}
	if (S_ISDIR(st.st_mode)) {
		struct walk_path trail;
		trail.dev[0] = st.st_dev;
		trail.ino[0] = st.st_ino;
		return walk(path, options, report, &trail, 0);
	}
	return check_file(path, 1, options, report);
}

void iac_check_finish(const struct suppress_set *suppressions,
		      const struct iac_check_options *options, struct iac_report *report)
{
	if (suppressions)
		suppress_apply_file(suppressions, options->today, report);
	iac_report_sort(report);
}
