/*
 * cmd_render — `policyctl render`: parse the options, render the policy set, write it out.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "generator/output.h"
#include "generator/render.h"
#include "lib/msg.h"
#include "lib/banned.h"

static const char render_usage[] =
	"usage: policyctl [-c FILE] render [--format " RENDER_FORMAT_NAMES "] [--out DIR]\n";

static void print_render_help(void)
{
	fputs(render_usage, stdout);
	fputs("\nrenders, offline, the Azure Policy resources of the landing-zone config: four\n"
	      "DeployIfNotExists definitions (web apps, web app slots, function apps, function app\n"
	      "slots), one Deny definition, the initiative and its assignment\n"
	      "\noptions:\n"
	      "  -f, --format FORMAT  rest (default): one file per resource, exactly the body of\n"
	      "                       ARM's PUT, under SCOPE/COLLECTION/NAME.json, and manifest.json\n"
	      "                       listing file, method, id and api-version in creation order;\n"
	      "                       arm-template: one deployment template per scope;\n"
	      "                       epac: Enterprise Policy as Code's folder layout;\n"
	      "                       terraform: main.tf, variables.tf, outputs.tf (azurerm);\n"
	      "                       alz: an Azure Landing Zones library (management group only)\n"
	      "  -o, --out DIR        folder to write to, created when missing (default: rendered)\n"
	      "  -h, --help           this help\n"
	      "\nexit codes: 0 written, 1 a file could not be written, 2 usage or config error\n"
	      "(also: a format that cannot express the config, such as alz of subscriptions)\n",
	      stdout);
}

int cmd_render(int argc, char **argv, struct cli_context *ctx)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rendered_set set = RENDERED_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	enum render_format format = RENDER_FORMAT_REST;
	const char *out_dir = "rendered";
	int opt, ret = EXIT_USAGE;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+f:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (render_format_parse(optarg, &format) < 0) {
				msg_error("option '--format': expected one of " RENDER_FORMAT_NAMES
					  ", got '%s'", optarg);
				goto out;
			}
			break;
		case 'o':
			if (!*optarg) {
				msg_error("option '--out': expected a folder, got ''");
				goto out;
			}
			out_dir = optarg;
			break;
		case 'h':
			print_render_help();
			ret = EXIT_OK;
			goto out;
		default:
			if (optopt == 'f' || optopt == 'o')
				msg_error("option '%s' needs a value", argv[optind - 1]);
			else
				msg_error("unknown option '%s'", argv[optind - 1]);
			fputs(render_usage, stderr);
			goto out;
		}
	}
	if (optind < argc) {
		msg_error("unexpected argument '%s': render takes only options", argv[optind]);
		fputs(render_usage, stderr);
		goto out;
	}
	switch (render_policy_set(&ctx->config, &set, &err)) {
	case RENDER_OK:
		break;
	case RENDER_ERR_CONFIG:
		msg_error("%s", err.buf);
		goto out;
	case RENDER_ERR_TEMPLATE:
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	switch (render_write(&set, format, out_dir, &err)) {
	case OUTPUT_OK:
		break;
	case OUTPUT_ERR_UNSUPPORTED:
		msg_error("%s", err.buf);
		goto out;
	case OUTPUT_ERR_IO:
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	msg_note("wrote %zu resources to '%s'", set.nr, out_dir);
	ret = EXIT_OK;
out:
	rendered_set_release(&set);
	strbuf_release(&err);
	return ret;
}
