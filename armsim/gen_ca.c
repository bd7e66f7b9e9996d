/*
 * gen_ca — a throwaway CA and the certificates armsim needs (see gen_ca.h).
 *
 * Certificates carry the extensions strict verifiers insist on (Python 3.13 with
 * VERIFY_X509_STRICT, for one): basicConstraints, keyUsage, subject and authority key ids,
 * and subjectAltName for the server; the server name alone in CN would not be enough.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "armsim/gen_ca.h"
#include "lib/banned.h"

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

enum cert_kind { CERT_CA, CERT_SERVER, CERT_CLIENT };

static X509 *make_cert(EVP_PKEY *key, const char *cn, enum cert_kind kind, X509 *issuer,
		       EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	int bad = 0;
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 24 * 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"armsim", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	bad |= add_ext(x, &ctx, NID_basic_constraints,
		       kind == CERT_CA ? "critical,CA:TRUE" : "critical,CA:FALSE");
	bad |= add_ext(x, &ctx, NID_key_usage,
		       kind == CERT_CA ? "critical,keyCertSign,cRLSign"
				       : "critical,digitalSignature,keyEncipherment");
	bad |= add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (issuer)
		bad |= add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (kind == CERT_SERVER) {
		bad |= add_ext(x, &ctx, NID_ext_key_usage, "serverAuth");
		bad |= add_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
	} else if (kind == CERT_CLIENT) {
		bad |= add_ext(x, &ctx, NID_ext_key_usage, "clientAuth");
	}
	if (bad || !X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static FILE *open_out(const char *dir, const char *file, int secret, struct strbuf *path,
		      struct strbuf *err)
{
	int fd;
	FILE *f;
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s", dir, file);
	fd = open(path->buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		strbuf_addf(err, "cannot write '%s': %s", path->buf, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static int write_pair(const char *dir, const char *cert_file, const char *key_file, X509 *cert,
		      EVP_PKEY *key, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	FILE *f;
	int ret = -1, ok;
	if (!(f = open_out(dir, cert_file, 0, &path, err)))
		goto out;
	ok = PEM_write_X509(f, cert);
	if (fclose(f) || !ok) {
		strbuf_addf(err, "cannot write '%s'", path.buf);
		goto out;
	}
	if (key_file) {
		if (!(f = open_out(dir, key_file, 1, &path, err)))
			goto out;
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		if (fclose(f) || !ok) {
			strbuf_addf(err, "cannot write '%s'", path.buf);
			goto out;
		}
	}
	ret = 0;
out:
	strbuf_release(&path);
	return ret;
}

int gen_ca_write(const char *dir, struct strbuf *err)
{
	EVP_PKEY *ca_key = NULL, *server_key = NULL, *client_key = NULL;
	X509 *ca = NULL, *server = NULL, *client = NULL;
	int ret = -1;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		strbuf_addf(err, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	ca_key = EVP_RSA_gen(2048);
	server_key = EVP_RSA_gen(2048);
	client_key = EVP_RSA_gen(2048);
	if (!ca_key || !server_key || !client_key) {
		strbuf_addstr(err, "cannot generate RSA keys");
		goto out;
	}
	ca = make_cert(ca_key, "armsim test CA", CERT_CA, NULL, NULL, 1);
	server = ca ? make_cert(server_key, "localhost", CERT_SERVER, ca, ca_key, 2) : NULL;
	client = ca ? make_cert(client_key, "armsim client", CERT_CLIENT, ca, ca_key, 3) : NULL;
	if (!ca || !server || !client) {
		strbuf_addstr(err, "cannot sign the certificates");
		goto out;
	}
	if (write_pair(dir, "ca.pem", "ca-key.pem", ca, ca_key, err) ||
	    write_pair(dir, "server.pem", "server-key.pem", server, server_key, err) ||
	    write_pair(dir, "client.pem", "client-key.pem", client, client_key, err))
		goto out;
	ret = 0;
out:
	X509_free(ca);
	X509_free(server);
	X509_free(client);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(server_key);
	EVP_PKEY_free(client_key);
	return ret;
}
