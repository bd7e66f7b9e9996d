/*
 * credtool — test fixtures for credentials (a test driver, not a command).
 *
 *   credtool cert OUT.pem FROM_DAYS TO_DAYS
 *       a self-signed RSA certificate valid from/to that many days from now (negative: past),
 *       followed by its unencrypted private key, in one PEM file (what
 *       AZURE_CLIENT_CERTIFICATE_PATH names); the certificate alone goes to OUT.pem.crt
 *   credtool jwt KEY.pem ISSUER SUBJECT AUDIENCE
 *       an RS256 JWT signed with the key in KEY.pem, valid for ten minutes: a federated token
 *       as a workload identity platform would project it
 */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/jwt.h"
#include "lib/strbuf.h"
#include "tests/tools/testcert.h"
#include "lib/banned.h"

static int make_cert(const char *out, long from_days, long to_days)
{
	struct strbuf crt = STRBUF_INIT;
	EVP_PKEY *key;
	X509 *cert;
	FILE *f;
	int ret = 1;
	if (testcert_make(out, from_days, to_days, &cert, &key) < 0)
		goto out;
	strbuf_addf(&crt, "%s.crt", out);
	if (!(f = fopen(crt.buf, "w")))
		goto out;
	PEM_write_X509(f, cert);
	ret = fclose(f) ? 1 : 0;
out:
	strbuf_release(&crt);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

static int make_jwt(const char *key_path, const char *iss, const char *sub, const char *aud)
{
	FILE *f = fopen(key_path, "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	long long now = (long long)time(NULL);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	json_t *header, *claims;
	int ret;
	if (f)
		fclose(f);
	if (!key) {
		fprintf(stderr, "credtool: no private key in '%s'\n", key_path);
		return 1;
	}
	header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "iss", iss, "sub", sub, "aud", aud,
			   "nbf", (json_int_t)now, "iat", (json_int_t)now, "exp", (json_int_t)(now + 600));
	ret = jwt_sign_rs256(key, header, claims, &out, &err);
	if (!ret)
		printf("%s\n", out.buf);
	else
		fprintf(stderr, "credtool: %s\n", err.buf);
	json_decref(header);
	json_decref(claims);
	EVP_PKEY_free(key);
	strbuf_release(&out);
	strbuf_release(&err);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "cert"))
		return make_cert(argv[2], strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10));
	if (argc == 6 && !strcmp(argv[1], "jwt"))
		return make_jwt(argv[2], argv[3], argv[4], argv[5]);
	fputs("usage: credtool cert OUT.pem FROM_DAYS TO_DAYS | jwt KEY.pem ISS SUB AUD\n", stderr);
	return 2;
}
