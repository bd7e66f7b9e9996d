/*
 * testcert — a self-signed RSA certificate and its key, for credential tests and fixtures.
 *
 * Header-only: tests/tools/credtool.c and tests/unit/test_credential.c both include it.
 */
#ifndef TESTCERT_H
#define TESTCERT_H

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <time.h>

/*
 * Writes certificate then unencrypted private key to path (one PEM, as
 * AZURE_CLIENT_CERTIFICATE_PATH wants it), valid from/to that many days from now (negative:
 * in the past). The new certificate and key go to *cert and *key (caller frees). 0 or -1.
 */
static int testcert_make(const char *path, long from_days, long to_days, X509 **cert,
			 EVP_PKEY **key)
{
	FILE *f;
	*key = EVP_RSA_gen(2048);
	*cert = X509_new();
	X509_set_version(*cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(*cert), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(*cert), to_days * 86400);
	X509_set_pubkey(*cert, *key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(*cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"policyctl-test-client", -1, -1, 0);
	X509_set_issuer_name(*cert, X509_get_subject_name(*cert));
	X509_sign(*cert, *key, EVP_sha256());
	if (!(f = fopen(path, "w")))
		return -1;
	PEM_write_X509(f, *cert);
	PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) ? -1 : 0;
}

#endif
