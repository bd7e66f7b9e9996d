/*
 * armparse — feeds recorded ARM responses to the client's parsers (a test driver).
 *
 * Reads JSON lines {"source","method","url","status","headers":{lower-case name: value},
 * "body": text} on stdin (tests/e2e/t2001 extracts them from the shared recordings and
 * examples) and checks each with what the client runs on a live response: error bodies
 * through arm_error_parse, success bodies through arm_parse_body, list pages for a 'value'
 * array and a string-or-null next link, operation status bodies for 'status', and the
 * Retry-After, Location and Azure-AsyncOperation headers through the engine's parsers.
 * Prints a summary; exits 1 naming every response that failed.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "lib/arm.h"
#include "lib/http.h"
#include "lib/strbuf.h"
#include "lib/banned.h"

static int check_one(json_t *rec, struct strbuf *why, unsigned *lists, unsigned *errors)
{
	const char *method = json_string_value(json_object_get(rec, "method"));
	const char *url = json_string_value(json_object_get(rec, "url"));
	const char *body = json_string_value(json_object_get(rec, "body"));
	long status = (long)json_integer_value(json_object_get(rec, "status"));
	json_t *headers = json_object_get(rec, "headers");
	const char *ra = json_string_value(json_object_get(headers, "retry-after"));
	const char *links[] = { "location", "azure-asyncoperation" };
	size_t len = body ? strlen(body) : 0, i;
	json_t *parsed = NULL;
	int ret = -1;

	if (!method)
		method = "GET";
	if (!url)
		url = "(example)";
	if (ra) {
		long ms;
		if (http_parse_retry_after(ra, (long long)time(NULL), &ms) < 0) {
			strbuf_addf(why, "Retry-After '%s' not understood", ra);
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		const char *link = json_string_value(json_object_get(headers, links[i]));
		if (link && http_check_url(link, why) < 0)
			goto out;
	}
	if (status >= 400) {
		struct arm_error err;
		memset(&err, 0, sizeof(err));
		if (len && (arm_error_parse(&err, body, len) < 0 || !err.code)) {
			strbuf_addf(why, "error body not understood: %s", err.message ? err.message : "no code");
			arm_error_release(&err);
			goto out;
		}
		arm_error_release(&err);
		(*errors)++;
		ret = 0;
		goto out;
	}
	parsed = arm_parse_body(method, url, body ? body : "", len, why);
	if (why->len)
		goto out;
	if (parsed && !json_is_object(parsed) && !json_is_array(parsed)) {
		strbuf_addstr(why, "body is neither an object nor an array");
		goto out;
	}
	if (json_is_object(parsed) && json_object_get(parsed, "value")) {
		json_t *next = json_object_get(parsed, "nextLink");
		json_t *odata = json_object_get(parsed, "@odata.nextLink");
		if (!json_is_array(json_object_get(parsed, "value"))) {
			strbuf_addstr(why, "'value' is not an array");
			goto out;
		}
		if ((next && !json_is_string(next) && !json_is_null(next)) ||
		    (odata && !json_is_string(odata) && !json_is_null(odata))) {
			strbuf_addstr(why, "next link is neither a string nor null");
			goto out;
		}
		(*lists)++;
	}
	if (json_is_object(parsed) && json_object_get(parsed, "status") &&
	    !json_is_string(json_object_get(parsed, "status")) &&
	    !json_is_integer(json_object_get(parsed, "status"))) {
		strbuf_addstr(why, "'status' is not a string");
		goto out;
	}
	ret = 0;
out:
	json_decref(parsed);
	return ret;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned total = 0, failed = 0, lists = 0, errors = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct strbuf why = STRBUF_INIT;
		json_t *rec = json_loadb(line, (size_t)n, 0, NULL);
		total++;
		if (!rec || check_one(rec, &why, &lists, &errors) < 0) {
			failed++;
			printf("FAIL %s: %s\n",
			       rec ? json_string_value(json_object_get(rec, "source")) : "(bad input line)",
			       why.buf);
		}
		json_decref(rec);
		strbuf_release(&why);
	}
	free(line);
	printf("%u responses, %u failed (%u list pages, %u error bodies)\n", total, failed, lists,
	       errors);
	return failed || !total ? 1 : 0;
}
