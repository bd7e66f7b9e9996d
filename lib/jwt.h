/*
 * jwt — compact RS256 JSON Web Tokens, as Entra ID wants them for certificate credentials.
 *
 * Only signing: policyctl proves who it is with a client assertion signed by the private key
 * of the certificate registered on the application; it never verifies tokens it receives
 * (armsim has its own verifier).
 */
#ifndef JWT_H
#define JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#include "lib/strbuf.h"

/* Appends data as unpadded base64url (RFC 7515 section 2). */
void jwt_base64url(struct strbuf *out, const unsigned char *data, size_t len);

/*
 * Appends header.claims.signature to out, signed RS256 with key (borrowed, an RSA private
 * key). header and claims are borrowed; "alg" in header must already be "RS256". Returns 0,
 * or -1 with err set (key not RSA, OpenSSL failure).
 */
int jwt_sign_rs256(EVP_PKEY *key, const json_t *header, const json_t *claims,
		   struct strbuf *out, struct strbuf *err);

#endif
