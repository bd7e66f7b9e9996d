/*
 * fuzz_nextlink — list pages and their nextLink.
 *
 * The input is a list response body: arm_page_parse must return the items and a next URL
 * that stays on the ARM endpoint (the token goes wherever the link points), or refuse the
 * page; never anything in between.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/arm.h"
#include "lib/strbuf.h"

#define ENDPOINT "https://management.azure.com"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *items = NULL;
	struct strbuf err = STRBUF_INIT;
	char *next = NULL;
	enum arm_result r;

	r = arm_page_parse(body, ENDPOINT, &items, &next, &err);
	if (r == ARM_OK) {
		if (err.len || (items && !json_is_array(items)))
			abort();
		/* the next request goes to the ARM endpoint and nowhere else */
		if (next && (strncasecmp(next, ENDPOINT, strlen(ENDPOINT)) ||
			     !strchr("/?", next[strlen(ENDPOINT)]) || !strstr(next, "api-version=")))
			abort();
	} else if (next || items || !err.len) {
		abort();
	}
	free(next);
	json_decref(body);
	strbuf_release(&err);
	return 0;
}
