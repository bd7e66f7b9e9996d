/*
 * cmd_check — `policyctl check PATH...`: the preventive check of templates and plans in CI.
 */
#include <errno.h>
#include <getopt.h>
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

static const char check_usage[] =
	"usage: policyctl check [--format text|json|sarif] [--out FILE] [--parameters FILE]\n"
	"                       [--suppressions FILE] [--today YYYY-MM-DD] PATH...\n";

static void print_check_help(void)
{
	fputs(check_usage, stdout);
	fputs("\nchecks ARM templates (Bicep compiled with 'bicep build' too) and Terraform plans\n"
	      "('terraform show -json plan.out') offline: every App Service app and slot must\n"
	      "require client certificates (clientCertEnabled true, clientCertMode Required), as\n"
	      "the rendered Deny policy will demand at deployment. A folder is walked for *.json\n"
	      "files, each recognised by its content; hidden folders and node_modules are skipped\n"
	      "\noptions:\n"
	      "  -f, --format FORMAT      text (default; FILE:LINE:COLUMN per finding), json, or\n"
	      "                           sarif (SARIF 2.1.0, for code scanning)\n"
	      "  -o, --out FILE           write the report to FILE instead of standard output\n"
	      "  -p, --parameters FILE    ARM parameter file whose values win over the templates'\n"
	      "                           defaults (applies to every template checked)\n"
	      "  -s, --suppressions FILE  suppressions file: entries with rule, file, resource,\n"
	      "                           owner, expires (YYYY-MM-DD) and reason\n"
	      "      --today DATE         judge expiries as of DATE (default: today, UTC)\n"
	      "  -h, --help               this help\n"
	      "\nrules: PCTL001 client-cert-disabled (error), PCTL002 client-cert-mode-not-required\n"
	      "(error), PCTL003 client-cert-exclusions-with-http2-or-tls13 (warning), PCTL004\n"
	      "value-unknown (warning), PCTL005 linked-template-not-read (note), PCTL006\n"
	      "suppression-expired (error), PCTL007 suppression-invalid (error); see docs/ci.md\n"
	      "\nexit codes: 0 no findings, 1 findings (errors or warnings not suppressed),\n"
	      "2 usage error or unreadable input\n", stdout);
}

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

int cmd_check(int argc, char **argv, struct cli_context *ctx)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "parameters", required_argument, NULL, 'p' },
		{ "suppressions", required_argument, NULL, 's' },
		{ "today", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum iac_format format = ctx->output == OUTPUT_JSON ? IAC_FORMAT_JSON : IAC_FORMAT_TEXT;
	struct suppress_set suppressions = SUPPRESS_SET_INIT;
	struct iac_report report = IAC_REPORT_INIT;
	struct iac_check_options check = { NULL, NULL };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *out_path = NULL, *params_path = NULL, *suppressions_path = NULL;
	json_t *params = NULL;
	char today[11];
	int opt, i, unreadable = 0, ret = EXIT_USAGE;

	today_utc(today);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+f:o:p:s:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (iac_format_parse(optarg, &format) < 0) {
				msg_error("option '--format': expected one of " IAC_FORMAT_NAMES
					  ", got '%s'", optarg);
				goto out;
			}
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'p':
			params_path = optarg;
			break;
		case 's':
			suppressions_path = optarg;
			break;
		case 'T':
			if (!suppress_valid_date(optarg)) {
				msg_error("option '--today': expected a date YYYY-MM-DD, got '%s'", optarg);
				goto out;
			}
			memcpy(today, optarg, 11);
			break;
		case 'h':
			print_check_help();
			ret = EXIT_OK;
			goto out;
		default:
			if (optopt && strchr("fopsT", optopt))
				msg_error("option '%s' needs a value", argv[optind - 1]);
			else
				msg_error("unknown option '%s'", argv[optind - 1]);
			fputs(check_usage, stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		msg_error("expected a PATH: a template, a plan or a folder");
		fputs(check_usage, stderr);
		goto out;
	}
	if (params_path) {
		params = jsonutil_load_file(params_path, &err);
		if (!params) {
			msg_error("%s", err.buf);
			goto out;
		}
		if (!json_is_object(json_object_get(params, "parameters"))) {
			msg_error("%s:1:1: expected an ARM parameter file (an object with \"parameters\")",
				  params_path);
			goto out;
		}
	}
	if (suppressions_path &&
	    suppress_set_load(&suppressions, suppressions_path, &err) != SUPPRESS_OK) {
		msg_error("%s", err.buf);
		goto out;
	}
	check.parameter_file = params;
	check.today = today;
	for (i = optind; i < argc; i++)
		if (iac_check_path(argv[i], &check, &report) != IAC_CHECK_OK)
			unreadable = 1;
	iac_check_finish(suppressions_path ? &suppressions : NULL, &check, &report);
	iac_output_write(&out, &report, format, POLICYCTL_VERSION);
	if (write_report(out_path, &out) < 0) {
		msg_error("cannot write '%s': %s", out_path ? out_path : "standard output",
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
