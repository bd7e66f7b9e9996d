/*
 * fuzz_arm_error — ARM response and error-body parsing.
 *
 * The input is a response body as a server could send it: arm_error_parse (every error shape
 * ARM, Entra ID and OData use), the one-line format a user reads (which must hold no control
 * character from the server), and arm_parse_body for success bodies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arm.h"
#include "lib/msg.h"
#include "lib/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arm_error err;
	struct strbuf line = STRBUF_INIT, perr = STRBUF_INIT;
	const char *text = (const char *)data;
	json_t *body;
	size_t i;

	memset(&err, 0, sizeof(err));
	err.status = 400;
	err.method = strdup("GET");
	err.url = strdup("https://management.azure.com/x");
	arm_error_parse(&err, text, size);
	arm_error_format(&err, &line);
	for (i = 0; i < line.len; i++)
		if ((unsigned char)line.buf[i] < 0x20 || line.buf[i] == 0x7f)
			abort(); /* server text must reach a terminal escaped */
	arm_error_release(&err);

	body = arm_parse_body("GET", "https://management.azure.com/x", text, size, &perr);
	json_decref(body);
	strbuf_release(&line);
	strbuf_release(&perr);
	return 0;
}
