/*
 * token — JSON Web Tokens, RS256, as Entra ID issues and accepts them.
 *
 * armsim signs its access tokens with one RSA key (the TLS key when serving HTTPS, else a key
 * made at start), and checks client assertions and federated tokens against the certificates
 * the world registers for a principal. Only RS256 is accepted: a token with another "alg"
 * (notably "none") is refused as forged.
 */
#ifndef ARMSIM_TOKEN_H
#define ARMSIM_TOKEN_H
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/strbuf.h"

enum token_result {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,      /* not three base64url parts of JSON, or not RS256 */
	TOKEN_BAD_SIGNATURE,  /* signature does not verify with the key */
	TOKEN_BAD_KEY,        /* the key or certificate could not be read */
};

struct token_signer;

/*
 * A signer using the RSA private key in PEM (borrowed string), or a new 2048-bit key when pem
 * is NULL. Returns NULL with err set on failure. Free with token_signer_free.
 */
struct token_signer *token_signer_new(const char *pem, struct strbuf *err);
/*
 * A signer whose new RSA key is made on a background thread: making one takes a good part of a
 * second, which would otherwise delay armsim's start. The first use waits for it. Never NULL.
 */
struct token_signer *token_signer_new_async(void);
void token_signer_free(struct token_signer *signer);
/* Signs claims (borrowed) as an RS256 JWT with key id kid; returns a new string. */
char *token_sign(const struct token_signer *signer, const json_t *claims);
/* The signer's public key as a JWKS document {"keys":[...]} (new reference). */
json_t *token_signer_jwks(const struct token_signer *signer);

/*
 * Verifies an RS256 JWT with key (borrowed; NULL = the signer's own key via token_verify_own).
 * On TOKEN_OK, *header and *claims are new references (either may be NULL to skip).
 */
enum token_result token_verify(const char *jwt, EVP_PKEY *key, json_t **header, json_t **claims);
enum token_result token_verify_own(const struct token_signer *signer, const char *jwt,
				   json_t **claims);
/* Decodes a JWT's claims without checking anything (to find who it claims to be). */
json_t *token_peek_claims(const char *jwt);
/* The public key of a PEM certificate (new, EVP_PKEY_free), or NULL. */
EVP_PKEY *token_key_from_certificate(const char *pem);

/* base64url without padding. */
void token_base64url_encode(struct strbuf *out, const unsigned char *data, size_t len);
/* Decodes base64url (padding optional); -1 on invalid input. */
int token_base64url_decode(struct strbuf *out, const char *in, size_t len);
#endif
