/*
 * fuzz_iac_template — libFuzzer target for the ARM template reader: jsonpos parsing, the
 * expression evaluator, nested deployments, copy loops, then the rules and suppressions on
 * whatever sites come out. Seeds: fuzz/corpus/iac_template/ (the ARM cases of tests/iac).
 *
 * clang -fsanitize=fuzzer,address,undefined -I. $(pkg-config --cflags jansson) \
 *   fuzz/fuzz_iac_template.c iac/[a-z]*.c lib/msg.c lib/strbuf.c lib/xalloc.c lib/jsonutil.c \
 *   $(pkg-config --libs jansson libcrypto)
 */
#include <stddef.h>
#include <stdint.h>

#include "iac/arm_template.h"
#include "iac/rules.h"
#include "iac/suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc = JSON_DOC_INIT;
	struct iac_site_list sites = IAC_SITE_LIST_INIT;
	struct iac_report report = IAC_REPORT_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t i;

	if (json_doc_parse(&doc, (const char *)data, size, "fuzz.json", &err) == JSON_DOC_OK) {
		/* detection is skipped on purpose: any JSON reaches the reader */
		arm_template_read(&doc, "fuzz.json", NULL, &sites, &report);
		for (i = 0; i < sites.count; i++) {
			size_t first = report.count;
			iac_rules_check_site(sites.items[i], "fuzz.json", &report);
			suppress_apply_markers(sites.items[i], "fuzz.json", "2026-12-01", &report, first);
		}
	}
	iac_site_list_release(&sites);
	iac_report_release(&report);
	json_doc_release(&doc);
	strbuf_release(&err);
	return 0;
}
