/*
 * fuzz_kql — libFuzzer target for armsim's Resource Graph query parser (armsim/kql.c).
 *
 * Every input is parsed; a query that parses also runs over a small fixed inventory, so the
 * evaluator sees whatever the parser accepts. Nothing may crash, leak or read out of bounds;
 * a refusal must come with a message. Seeds: fuzz/corpus/kql/.
 *
 * Built by `make fuzz-build` (sources in fuzz/targets.mk); see fuzz/README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/kql.h"

static const char rows_text[] =
	"[{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a\",\"name\":\"a\","
	"\"type\":\"microsoft.web/sites\",\"kind\":\"app\",\"tags\":{\"env\":\"prod\"},"
	"\"zones\":[\"1\",2,null,{\"x\":[true]}],\"properties\":{\"clientCertEnabled\":true,"
	"\"clientCertMode\":\"Required\",\"n\":1.5,\"siteConfig\":{\"http20Enabled\":false}}},"
	"{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/b\",\"name\":\"b\","
	"\"type\":\"microsoft.web/sites/slots\",\"kind\":\"functionapp\",\"tags\":{},\"zones\":[],"
	"\"properties\":{\"clientCertEnabled\":false,\"privateEndpointConnections\":[{},{}]}},"
	"{\"id\":\"x\",\"name\":null,\"type\":\"t\",\"kind\":\"\",\"tags\":null,\"zones\":\"z\","
	"\"properties\":null}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *rows, *columns;
	struct kql_query *q = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	char *text;
	if (!rows) {
		rows = json_loads(rows_text, 0, NULL);
		columns = json_pack("[s,s,s,s,s,s,s]", "id", "name", "type", "kind", "tags", "zones",
				    "properties");
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (kql_parse(text, &q, &err) == KQL_OK) {
		struct kql_table out = { NULL, NULL };
		json_t *types = NULL;
		if (kql_query_types(q, &types) && !json_is_array(types))
			abort();
		json_decref(types);
		/* the cap is kql_run's path with a small bound: the same code, at fuzzing pace */
		kql_run_capped(q, rows, columns, 64, &out);
		if (!json_is_array(out.rows) || !json_is_array(out.columns))
			abort();
		kql_table_release(&out);
		kql_query_free(q);
	} else if (!err.message.len || q) {
		abort(); /* a refusal always says why, and leaves nothing behind */
	}
	kql_error_release(&err);
	free(text);
	return 0;
}
