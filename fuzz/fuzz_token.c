/*
 * fuzz_token — a token endpoint's answer.
 *
 * The input is the body Entra ID, a managed-identity endpoint or ADFS could return:
 * credential_parse_token must find the access token or refuse, and the expiry it derives is
 * always within [now + 2 s, now + 1 day] (a bounded refresh, never a token request per call),
 * with no signed overflow on hostile numbers (UBSan aborts on one).
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const long long now = 1733500000;
	char *token = NULL;
	long long expires = 0;

	if (credential_parse_token((const char *)data, size, now, &token, &expires) == CREDENTIAL_OK) {
		if (!token || !*token || expires < now + 2 || expires > now + 86400)
			abort();
	} else if (token) {
		abort();
	}
	free(token);
	return 0;
}
