/*
 * token — RS256 JWTs over OpenSSL libcrypto (see token.h).
 *
 * A JWT is base64url(header) "." base64url(claims) "." base64url(signature over the first two
 * parts). Verification refuses anything that is not exactly that shape before touching crypto.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "armsim/token.h"
#include "lib/jsonutil.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_JWT 16384

struct token_signer {
	EVP_PKEY *key;            /* owned; NULL until a background key is ready */
	int async;                /* the key comes from `thread` */
	atomic_int ready;         /* the thread has been joined: key is final */
	pthread_t thread;
	pthread_once_t joined;
};

static void *make_key(void *arg)
{
	(void)arg;
	return EVP_RSA_gen(2048);
}

static struct token_signer *wait_signer;
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;

/* pthread_once takes no argument: the signer being waited for goes through wait_signer. */
static void join_key(void)
{
	void *key = NULL;
	pthread_join(wait_signer->thread, &key);
	wait_signer->key = key;
	atomic_store(&wait_signer->ready, 1);
}

static EVP_PKEY *signer_key(const struct token_signer *s)
{
	struct token_signer *m = (struct token_signer *)s;
	if (!m->async || atomic_load(&m->ready))
		return m->key;
	pthread_mutex_lock(&wait_lock);
	wait_signer = m;
	pthread_once(&m->joined, join_key);
	pthread_mutex_unlock(&wait_lock);
	return m->key;
}

struct token_signer *token_signer_new_async(void)
{
	struct token_signer *s = xcalloc(1, sizeof(*s));
	pthread_once_t once = PTHREAD_ONCE_INIT;
	s->joined = once;
	if (pthread_create(&s->thread, NULL, make_key, NULL))
		s->key = EVP_RSA_gen(2048); /* no thread: make it here */
	else
		s->async = 1;
	return s;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void token_base64url_encode(struct strbuf *out, const unsigned char *d, size_t len)
{
	size_t i;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
		strbuf_addch(out, b64url[(v >> 6) & 63]);
		strbuf_addch(out, b64url[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)d[i] << 16;
		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
	} else if (len - i == 2) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8;
		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
		strbuf_addch(out, b64url[(v >> 6) & 63]);
	}
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

int token_base64url_decode(struct strbuf *out, const char *in, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i;
	while (len && in[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (int)((acc >> bits) & 0xff));
		}
	}
	return bits >= 6 ? -1 : 0;
}

struct token_signer *token_signer_new(const char *pem, struct strbuf *err)
{
	struct token_signer *s = xcalloc(1, sizeof(*s));
	if (pem) {
		BIO *bio = BIO_new_mem_buf(pem, -1);
		s->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (s->key && EVP_PKEY_get_base_id(s->key) != EVP_PKEY_RSA) {
			EVP_PKEY_free(s->key);
			s->key = NULL;
			strbuf_addstr(err, "the token signing key must be an RSA key");
			goto fail;
		}
	} else {
		s->key = EVP_RSA_gen(2048);
	}
	if (!s->key) {
		if (!err->len)
			strbuf_addstr(err, "cannot read or make an RSA key for signing tokens");
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

void token_signer_free(struct token_signer *s)
{
	if (!s)
		return;
	signer_key(s);
	EVP_PKEY_free(s->key);
	free(s);
}

static int rs256_sign(EVP_PKEY *key, const char *data, size_t len, struct strbuf *sig_b64)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sig_len = sizeof(sig);
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_PKEY_get_size(key) <= (int)sizeof(sig) &&
		 EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (ok)
		token_base64url_encode(sig_b64, sig, sig_len);
	return ok ? 0 : -1;
}

char *token_sign(const struct token_signer *s, const json_t *claims)
{
	struct strbuf out = STRBUF_INIT, part = STRBUF_INIT;
	json_t *header = json_pack("{s:s, s:s, s:s}", "typ", "JWT", "alg", "RS256", "kid", "armsim");
	jsonutil_add_compact(&part, header);
	token_base64url_encode(&out, (const unsigned char *)part.buf, part.len);
	strbuf_addch(&out, '.');
	strbuf_reset(&part);
	jsonutil_add_compact(&part, claims);
	token_base64url_encode(&out, (const unsigned char *)part.buf, part.len);
	json_decref(header);
	strbuf_release(&part);
	strbuf_addch(&out, '.');
	if (!signer_key(s) || rs256_sign(signer_key(s), out.buf, out.len - 1, &out)) {
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out, NULL);
}

json_t *token_signer_jwks(const struct token_signer *s)
{
	BIGNUM *n = NULL, *e = NULL;
	struct strbuf nb = STRBUF_INIT, eb = STRBUF_INIT;
	unsigned char buf[1024];
	json_t *jwks = NULL;
	int len;
	EVP_PKEY *key = signer_key(s);
	if (!key || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	if (BN_num_bytes(n) > (int)sizeof(buf))
		goto out;
	len = BN_bn2bin(n, buf);
	token_base64url_encode(&nb, buf, (size_t)len);
	len = BN_bn2bin(e, buf);
	token_base64url_encode(&eb, buf, (size_t)len);
	jwks = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "use", "sig",
			 "kid", "armsim", "alg", "RS256", "n", nb.buf, "e", eb.buf);
out:
	BN_free(n);
	BN_free(e);
	strbuf_release(&nb);
	strbuf_release(&eb);
	return jwks;
}

static json_t *decode_part(const char *p, size_t len)
{
	struct strbuf raw = STRBUF_INIT;
	json_t *j = NULL;
	if (!token_base64url_decode(&raw, p, len))
		j = json_loadb(raw.buf, raw.len, 0, NULL);
	strbuf_release(&raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

json_t *token_peek_claims(const char *jwt)
{
	const char *d1 = jwt ? strchr(jwt, '.') : NULL, *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d2 || strlen(jwt) > MAX_JWT)
		return NULL;
	return decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
}

enum token_result token_verify(const char *jwt, EVP_PKEY *key, json_t **header_out,
			       json_t **claims_out)
{
	const char *d1, *d2;
	json_t *header = NULL, *claims = NULL;
	struct strbuf sig = STRBUF_INIT;
	EVP_MD_CTX *ctx = NULL;
	enum token_result res = TOKEN_MALFORMED;
	if (!jwt || strlen(jwt) > MAX_JWT || !(d1 = strchr(jwt, '.')) || !(d2 = strchr(d1 + 1, '.')) ||
	    strchr(d2 + 1, '.'))
		goto out;
	header = decode_part(jwt, (size_t)(d1 - jwt));
	claims = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!header || !claims)
		goto out;
	if (!json_is_string(json_object_get(header, "alg")) ||
	    strcmp(json_string_value(json_object_get(header, "alg")), "RS256"))
		goto out;
	if (token_base64url_decode(&sig, d2 + 1, strlen(d2 + 1)) || !sig.len)
		goto out;
	res = TOKEN_BAD_KEY;
	if (!key)
		goto out;
	ctx = EVP_MD_CTX_new();
	res = TOKEN_BAD_SIGNATURE;
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestVerify(ctx, (const unsigned char *)sig.buf, sig.len,
			     (const unsigned char *)jwt, (size_t)(d2 - jwt)) != 1)
		goto out;
	res = TOKEN_OK;
	if (header_out) {
		*header_out = header;
		header = NULL;
	}
	if (claims_out) {
		*claims_out = claims;
		claims = NULL;
	}
out:
	EVP_MD_CTX_free(ctx);
	json_decref(header);
	json_decref(claims);
	strbuf_release(&sig);
	return res;
}

enum token_result token_verify_own(const struct token_signer *s, const char *jwt, json_t **claims)
{
	return token_verify(jwt, signer_key(s), NULL, claims);
}

EVP_PKEY *token_key_from_certificate(const char *pem)
{
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = cert ? X509_get_pubkey(cert) : NULL;
	X509_free(cert);
	BIO_free(bio);
	return key;
}
