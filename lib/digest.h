/*
 * digest — SHA-256 of a byte string, raw or as lowercase hex (OpenSSL libcrypto underneath).
 *
 * Used where a value must be derived, not stored: the ledger's body digests and task names,
 * role assignment names. Never for secrets' storage or comparison.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_SIZE 32
#define DIGEST_SHA256_HEX_SIZE (2 * DIGEST_SHA256_SIZE + 1) /* with the terminating NUL */

/* The SHA-256 of len bytes at data (borrowed) into md. */
void digest_sha256(const void *data, size_t len, unsigned char md[DIGEST_SHA256_SIZE]);
/* The SHA-256 of len bytes at data as 64 lowercase hex digits and a NUL into hex. */
void digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_SHA256_HEX_SIZE]);

/* An incremental SHA-256: the digest of every update's bytes in order. */
struct digest_sha256_ctx {
	void *md; /* owned: libcrypto's EVP_MD_CTX */
};
void digest_sha256_begin(struct digest_sha256_ctx *ctx);
void digest_sha256_update(struct digest_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the hex digest and frees ctx (begin again to reuse it). */
void digest_sha256_end_hex(struct digest_sha256_ctx *ctx, char hex[DIGEST_SHA256_HEX_SIZE]);

#endif
