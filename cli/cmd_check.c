/*
 * cmd_check — `policyctl check PATH...`: the preventive check of templates and plans in CI.
 *
 * main.c parsed the options (--format, --out, --parameters, --suppressions, --today and the
 * paths); this checks their values, loads the parameter and suppressions files and hands
 * the paths to iac/check, then writes the report with iac/output.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "iac/check.h"
#include "iac/output.h"
#include "iac/suppress.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/banned.h"

static void today_utc(char out[11])
{
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int write_report(const char *path, const struct strbuf *text)
{
	FILE *f;
	if (!path) {
		msg_out("%s", text->buf);
		return fflush(stdout) == 0 ? 0 : -1;
	}
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(text->buf, 1, text->len, f) != text->len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int cmd_check(struct cli_context *ctx)
{
	const struct cli_options *opts = &ctx->opts;
	enum iac_format format = ctx->output == OUTPUT_JSON ? IAC_FORMAT_JSON : IAC_FORMAT_TEXT;
	struct suppress_set suppressions = SUPPRESS_SET_INIT;
	struct iac_report report = IAC_REPORT_INIT;
	struct iac_check_options check = { NULL, NULL };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	json_t *params = NULL;
	char today[11];
	int i, unreadable = 0, ret = EXIT_USAGE;

	today_utc(today);
	if (opts->format && iac_format_parse(opts->format, &format) < 0) {
		msg_error("option '--format': expected one of " IAC_FORMAT_NAMES ", got '%s'",
			  opts->format);
		goto out;
	}
	if (opts->today) {
		if (!suppress_valid_date(opts->today)) {
			msg_error("option '--today': expected a date YYYY-MM-DD, got '%s'", opts->today);
			goto out;
		}
		memcpy(today, opts->today, sizeof(today));
	}
	if (opts->argc < 1) {
		msg_error("expected a PATH: a template, a plan or a folder");
		msg_print(stderr, "%s\n", "usage: policyctl check [options] PATH...");
		goto out;
	}
	if (opts->parameters) {
		params = jsonutil_load_file(opts->parameters, &err);
		if (!params) {
			msg_error("%s", err.buf);
			goto out;
		}
		if (!json_is_object(json_object_get(params, "parameters"))) {
			msg_error("%s:1:1: expected an ARM parameter file (an object with \"parameters\")",
				  opts->parameters);
			goto out;
		}
	}
	if (opts->suppressions &&
	    suppress_set_load(&suppressions, opts->suppressions, &err) != SUPPRESS_OK) {
		msg_error("%s", err.buf);
		goto out;
	}
	check.parameter_file = params;
	check.today = today;
	for (i = 0; i < opts->argc; i++)
		if (iac_check_path(opts->argv[i], &check, &report) != IAC_CHECK_OK)
			unreadable = 1;
	iac_check_finish(opts->suppressions ? &suppressions : NULL, &check, &report);
	iac_output_write(&out, &report, format, POLICYCTL_VERSION);
	if (write_report(opts->out, &out) < 0) {
		msg_error("cannot write '%s': %s", opts->out ? opts->out : "standard output",
			  strerror(errno));
		goto out;
	}
	if (unreadable)
		ret = EXIT_USAGE;
	else
		ret = iac_report_failing(&report) ? EXIT_FAILED : EXIT_OK;
out:
	json_decref(params);
	suppress_set_release(&suppressions);
	iac_report_release(&report);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}
