/*
 * digest — SHA-256 raw and hex (see digest.h).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/digest.h"
#include "lib/banned.h"

void digest_sha256(const void *data, size_t len, unsigned char md[DIGEST_SHA256_SIZE])
{
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (EVP_Digest(data, len, full, &md_len, EVP_sha256(), NULL) != 1 ||
	    md_len != DIGEST_SHA256_SIZE)
		abort(); /* libcrypto without SHA-256: nothing sensible to go on with */
	memcpy(md, full, DIGEST_SHA256_SIZE);
}

void digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[DIGEST_SHA256_SIZE];
	size_t i;
	digest_sha256(data, len, md);
	for (i = 0; i < DIGEST_SHA256_SIZE; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * DIGEST_SHA256_SIZE] = '\0';
}
