/*
 * cmd_exemptions — `policyctl exemptions [--within DUR] [--format table|json|markdown|csv]`:
 * every exemption of the assignment, managed or not, with owner, expiry, status and the
 * resources it covers; exit 1 when one is expired or lacks an owner or an expiry, so CI can
 * gate on it (its row in main.c's command table holds its setup and help).
 */
#include <string.h>

#include "cli/cli.h"
#include "orchestrator/exemptions.h"
#include "lib/msg.h"
#include "lib/banned.h"

enum orch_result cmd_exemptions(struct orch *o, const struct cli_options *opts)
{
	enum exemptions_format format = o->json ? EXEMPTIONS_JSON : EXEMPTIONS_TABLE;
	long within = opts->within_ms ? opts->within_ms : o->cfg->exemptions_within;
	struct strbuf out = STRBUF_INIT;
	enum orch_result ret;
	json_t *list = NULL, *ex;
	size_t i, failing = 0;

	if (opts->format && exemptions_parse_format(opts->format, &format)) {
		msg_error("option '--format': expected one of table|json|markdown|csv, got '%s'",
			  opts->format);
		return ORCH_USAGE;
	}
	ret = orch_exemptions_list(o, within, &list);
	if (ret)
		goto out;
	exemptions_render(list, format, &out);
	msg_out("%s", out.buf);
	json_array_foreach(list, i, ex) {
		const char *status = json_string_value(json_object_get(ex, "status"));
		if (status && (!strcmp(status, "expired") || !strcmp(status, "no expiry") ||
			       !strcmp(status, "no owner")))
			failing++;
	}
	if (failing) {
		msg_error("%zu exemption%s expired or without an owner or an expiry", failing,
			  failing > 1 ? "s are" : " is");
		ret = ORCH_FAILED;
	}
out:
	json_decref(list);
	strbuf_release(&out);
	return ret;
}
