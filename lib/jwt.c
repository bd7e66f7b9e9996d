/*
 * jwt — RS256 compact serialisation with OpenSSL's EVP interface (see jwt.h).
 */
#include <openssl/err.h>
#include <string.h>

#include "lib/jsonutil.h"
#include "lib/jwt.h"
#include "lib/banned.h"

void jwt_base64url(struct strbuf *out, const unsigned char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
		strbuf_addch(out, alphabet[v >> 18 & 63]);
		strbuf_addch(out, alphabet[v >> 12 & 63]);
		strbuf_addch(out, alphabet[v >> 6 & 63]);
		strbuf_addch(out, alphabet[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)data[i] << 16;
		strbuf_addch(out, alphabet[v >> 18 & 63]);
		strbuf_addch(out, alphabet[v >> 12 & 63]);
	} else if (len - i == 2) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
		strbuf_addch(out, alphabet[v >> 18 & 63]);
		strbuf_addch(out, alphabet[v >> 12 & 63]);
		strbuf_addch(out, alphabet[v >> 6 & 63]);
	}
}

int jwt_sign_rs256(EVP_PKEY *key, const json_t *header, const json_t *claims,
		   struct strbuf *out, struct strbuf *err)
{
	struct strbuf input = STRBUF_INIT, json = STRBUF_INIT;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int ret = -1;

	if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		strbuf_addstr(err, "the certificate's private key is not RSA (RS256 needs RSA)");
		goto out;
	}
	jsonutil_add_compact(&json, header);
	jwt_base64url(&input, (const unsigned char *)json.buf, json.len);
	strbuf_addch(&input, '.');
	strbuf_reset(&json);
	jsonutil_add_compact(&json, claims);
	jwt_base64url(&input, (const unsigned char *)json.buf, json.len);

	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)input.buf, input.len) != 1)
		goto ssl_error;
	sig = OPENSSL_malloc(sig_len);
	if (!sig || EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input.buf, input.len) != 1)
		goto ssl_error;
	strbuf_add(out, input.buf, input.len);
	strbuf_addch(out, '.');
	jwt_base64url(out, sig, sig_len);
	ret = 0;
	goto out;
ssl_error:
	strbuf_addf(err, "cannot sign the client assertion: %s",
		    ERR_reason_error_string(ERR_get_error()) ? ERR_reason_error_string(ERR_get_error())
							      : "OpenSSL error");
out:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(md);
	strbuf_release(&input);
	strbuf_release(&json);
	return ret;
}
