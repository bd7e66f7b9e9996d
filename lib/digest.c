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

static void to_hex(const unsigned char md[DIGEST_SHA256_SIZE], char hex[DIGEST_SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < DIGEST_SHA256_SIZE; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * DIGEST_SHA256_SIZE] = '\0';
}

void digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_SHA256_HEX_SIZE])
{
	unsigned char md[DIGEST_SHA256_SIZE];
	digest_sha256(data, len, md);
	to_hex(md, hex);
}

void digest_sha256_begin(struct digest_sha256_ctx *ctx)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		abort(); /* out of memory or no SHA-256: as digest_sha256 */
	ctx->md = md;
}

void digest_sha256_update(struct digest_sha256_ctx *ctx, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(ctx->md, data, len) != 1)
		abort();
}

void digest_sha256_end_hex(struct digest_sha256_ctx *ctx, char hex[DIGEST_SHA256_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (EVP_DigestFinal_ex(ctx->md, md, &md_len) != 1 || md_len != DIGEST_SHA256_SIZE)
		abort();
	EVP_MD_CTX_free(ctx->md);
	ctx->md = NULL;
	to_hex(md, hex);
}
