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
#include "lib/banned.h"

static int make_cert(const char *out, long from_days, long to_days)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = X509_new();
	struct strbuf crt = STRBUF_INIT;
	FILE *f;
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(cert), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(cert), to_days * 86400);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"policyctl-test-client", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_sign(cert, key, EVP_sha256());
	if (!(f = fopen(out, "w")))
		return 1;
	PEM_write_X509(f, cert);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	strbuf_addf(&crt, "%s.crt", out);
	if (!(f = fopen(crt.buf, "w")))
		return 1;
	PEM_write_X509(f, cert);
	fclose(f);
	strbuf_release(&crt);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
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
