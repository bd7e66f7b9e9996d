/*
 * fuzz_iac_plan — libFuzzer target for the Terraform plan reader (resource_changes,
 * planned_values, after_unknown), then the rules, suppression markers and all three
 * writers on its findings. Seeds: fuzz/corpus/iac_plan/ (the Terraform cases of tests/iac).
 *
 * clang -fsanitize=fuzzer,address,undefined -I. $(pkg-config --cflags jansson) \
 *   fuzz/fuzz_iac_plan.c iac/[a-z]*.c lib/msg.c lib/strbuf.c lib/xalloc.c lib/jsonutil.c \
 *   $(pkg-config --libs jansson libcrypto)
 */
#include <stddef.h>
#include <stdint.h>

#include "iac/output.h"
#include "iac/rules.h"
#include "iac/suppress.h"
#include "iac/tf_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc = JSON_DOC_INIT;
	struct iac_site_list sites = IAC_SITE_LIST_INIT;
	struct iac_report report = IAC_REPORT_INIT;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	size_t i;

	if (json_doc_parse(&doc, (const char *)data, size, "plan.json", &err) == JSON_DOC_OK) {
		tf_plan_read(&doc, "plan.json", &sites, &report);
		for (i = 0; i < sites.count; i++) {
			size_t first = report.count;
			iac_rules_check_site(sites.items[i], "plan.json", &report);
			suppress_apply_markers(sites.items[i], "plan.json", "2026-12-01", &report, first);
		}
		iac_report_sort(&report);
		iac_output_write(&out, &report, IAC_FORMAT_TEXT, "fuzz");
		iac_output_write(&out, &report, IAC_FORMAT_JSON, "fuzz");
		iac_output_write(&out, &report, IAC_FORMAT_SARIF, "fuzz");
	}
	iac_site_list_release(&sites);
	iac_report_release(&report);
	json_doc_release(&doc);
	strbuf_release(&err);
	strbuf_release(&out);
	return 0;
}
