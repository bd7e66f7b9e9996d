/*
 * Unit tests for lib/credential and lib/jwt against a scripted token endpoint on loopback:
 * each kind sends what Entra ID expects (secret; RS256 assertion verifiable with the
 * certificate, x5t#S256 right; federated token; managed-identity header; az run without a
 * shell), tokens are cached, and each misconfiguration fails naming the credential and the fix
 * without ever echoing the secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cloud.h"
#include "lib/credential.h"
#include "lib/jwt.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "tests/unit/scripted_server.h"
#include "tests/tools/testcert.h"

#define SECRET "cred-test-secret-Pq77"

static struct MHD_Daemon *daemon_handle;
static char base_url[64], dir[64];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct strbuf last_form = STRBUF_INIT;
static char last_identity_header[64];
static int token_requests;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	return scripted_reply(conn, status, body, NULL);
}

static enum MHD_Result handler(struct MHD_Connection *conn, const char *url, const char *method,
			       const struct strbuf *body)
{
	const char *h;
	(void)method;
	pthread_mutex_lock(&lock);
	token_requests++;
	strbuf_reset(&last_form);
	strbuf_add(&last_form, body->buf, body->len);
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-IDENTITY-HEADER");
	snprintf(last_identity_header, sizeof(last_identity_header), "%s", h ? h : "");
	pthread_mutex_unlock(&lock);
	if (!strcmp(url, "/msi/token"))
		return reply(conn, 200, "{\"access_token\":\"mi-token-123456\",\"expires_on\":\"4102444800\","
				   "\"resource\":\"x\",\"token_type\":\"Bearer\"}");
	if (strstr(body->buf, "client_secret=wrong"))
		return reply(conn, 401, "{\"error\":\"invalid_client\",\"error_description\":"
				   "\"AADSTS7000215: Invalid client secret provided.\"}");
	return reply(conn, 200, "{\"token_type\":\"Bearer\",\"access_token\":\"app-token-123456\",\"expires_in\":3600}");
}

static void clear_env(void)
{
	unsetenv("AZURE_CLIENT_SECRET");
	unsetenv("AZURE_CLIENT_CERTIFICATE_PATH");
	unsetenv("AZURE_FEDERATED_TOKEN_FILE");
	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	unsetenv("AZURE_AUTHORITY_HOST");
	unsetenv("AZURE_TENANT_ID");
	unsetenv("AZURE_CLIENT_ID");
}

static int setup(void **state)
{
	(void)state;
	daemon_handle = scripted_start(handler, base_url, sizeof(base_url));
	if (!daemon_handle)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/policyctl-cred.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	clear_env();
	return 0;
}

static int teardown(void **state)
{
	struct strbuf cmd = STRBUF_INIT;
	(void)state;
	MHD_stop_daemon(daemon_handle);
	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.buf) != 0)
		fprintf(stderr, "cannot remove '%s'\n", dir);
	strbuf_release(&cmd);
	strbuf_release(&last_form);
	return 0;
}

/* A config and cloud for the scripted endpoint; method like "client-secret". */
static void make_cfg(struct config *cfg, struct cloud *cloud, const char *method)
{
	struct strbuf err = STRBUF_INIT;
	config_init_defaults(cfg);
	free(cfg->cloud_name);
	cfg->cloud_name = xstrdup("custom");
	cfg->cloud_arm_endpoint = xstrdup(base_url);
	cfg->cloud_tenant_id = xstrdup("tenant-1");
	cfg->auth_client_id = xstrdup("client-1");
	free(cfg->auth_method);
	cfg->auth_method = xstrdup(method);
	assert_int_equal(cloud_init(cloud, cfg, &err), 0);
	strbuf_release(&err);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_client_secret_file_and_cache(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT;
	const char *token;
	char path[128];
	int before;
	(void)state;
	make_cfg(&cfg, &cloud, "client-secret");
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, SECRET "\n", 0600);
	cfg.auth_client_secret_file = xstrdup(path);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_string_equal(credential_name(cred), "client secret");
	before = token_requests;
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_string_equal(token, "app-token-123456");
	assert_non_null(strstr(last_form.buf, "client_secret=" SECRET "&") ||
			strstr(last_form.buf, "client_secret=" SECRET));
	assert_non_null(strstr(last_form.buf, "client_id=client-1"));
	/* cached: no second request */
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_int_equal(token_requests, before + 1);
	credential_invalidate(cred);
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_int_equal(token_requests, before + 2);
	credential_free(cred);
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_bad_secret_and_missing_file(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT;
	const char *token;
	(void)state;
	make_cfg(&cfg, &cloud, "client-secret");
	setenv("AZURE_CLIENT_SECRET", "wrong-secret-value", 1);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_ERR_REJECTED);
	assert_non_null(strstr(err.buf, "client secret was rejected"));
	assert_non_null(strstr(err.buf, "AADSTS7000215"));
	assert_non_null(strstr(err.buf, "check AZURE_CLIENT_SECRET"));
	assert_null(strstr(err.buf, "wrong-secret-value"));
	credential_free(cred);
	unsetenv("AZURE_CLIENT_SECRET");
	strbuf_reset(&err);
	cfg.auth_client_secret_file = xstrdup("/nonexistent/secret");
	cred = NULL;
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_ERR_CONFIG);
	assert_null(cred);
	assert_non_null(strstr(err.buf, "client secret       failed: cannot read '/nonexistent/secret'"));
	assert_non_null(strstr(err.buf, "client_secret_file"));
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
}

static EVP_PKEY *make_cert(const char *path, long from_days, long to_days, X509 **out_cert)
{
	EVP_PKEY *key;
	assert_int_equal(testcert_make(path, from_days, to_days, out_cert, &key), 0);
	return key;
}

static size_t b64url_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, n = 0;
	unsigned v = 0;
	int bits = 0;
	for (i = 0; i < len; i++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(alpha, in[i]);
		if (!p)
			break;
		v = v << 6 | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

static void test_certificate_assertion_verifies(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
	const char *token, *assertion, *dot1, *dot2;
	unsigned char header[1024], sig[1024], digest[32], *der = NULL;
	size_t header_len, sig_len;
	char path[128];
	EVP_PKEY *key;
	X509 *cert;
	EVP_MD_CTX *md;
	int der_len;
	(void)state;
	make_cfg(&cfg, &cloud, "client-certificate");
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	key = make_cert(path, -1, 30, &cert);
	setenv("AZURE_CLIENT_CERTIFICATE_PATH", path, 1);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_non_null(strstr(last_form.buf, "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
	assertion = strstr(last_form.buf, "client_assertion=");
	assert_non_null(assertion);
	assertion += strlen("client_assertion=");
	dot1 = strchr(assertion, '.');
	dot2 = strchr(dot1 + 1, '.');
	/* the header names the certificate by its SHA-256 thumbprint */
	header_len = b64url_decode(assertion, (size_t)(dot1 - assertion), header);
	header[header_len] = '\0';
	der_len = i2d_X509(cert, &der);
	EVP_Digest(der, (size_t)der_len, digest, NULL, EVP_sha256(), NULL);
	jwt_base64url(&want, digest, 32);
	assert_non_null(strstr((char *)header, "\"alg\":\"RS256\""));
	assert_non_null(strstr((char *)header, want.buf));
	/* and the signature verifies with the certificate's public key */
	sig_len = b64url_decode(dot2 + 1, strcspn(dot2 + 1, "&"), sig);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)assertion,
					  (size_t)(dot2 - assertion)), 1);
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	credential_free(cred);
	X509_free(cert);
	EVP_PKEY_free(key);

	/* an expired certificate fails at once, naming the credential, the date and the fix */
	key = make_cert(path, -30, -1, &cert);
	strbuf_reset(&err);
	cred = NULL;
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_ERR_CONFIG);
	assert_non_null(strstr(err.buf, "client certificate"));
	assert_non_null(strstr(err.buf, "expired on"));
	assert_non_null(strstr(err.buf, "AZURE_CLIENT_CERTIFICATE_PATH"));
	X509_free(cert);
	EVP_PKEY_free(key);
	/* a missing file too */
	setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem", 1);
	strbuf_reset(&err);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_ERR_CONFIG);
	assert_non_null(strstr(err.buf, "client certificate  failed: cannot read '/nonexistent/cert.pem'"));
	unsetenv("AZURE_CLIENT_CERTIFICATE_PATH");
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&want);
}

static void test_workload_and_managed_identity(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT, endpoint = STRBUF_INIT;
	const char *token;
	char path[128];
	(void)state;
	make_cfg(&cfg, &cloud, "auto");
	snprintf(path, sizeof(path), "%s/federated", dir);
	write_file(path, "federated-jwt-abcdef\n", 0600);
	setenv("AZURE_FEDERATED_TOKEN_FILE", path, 1);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_string_equal(credential_name(cred), "workload identity");
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_non_null(strstr(last_form.buf, "client_assertion=federated-jwt-abcdef"));
	credential_free(cred);
	unsetenv("AZURE_FEDERATED_TOKEN_FILE");

	strbuf_addf(&endpoint, "%s/msi/token", base_url);
	setenv("IDENTITY_ENDPOINT", endpoint.buf, 1);
	setenv("IDENTITY_HEADER", "identity-header-value", 1);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_string_equal(credential_name(cred), "managed identity");
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_string_equal(token, "mi-token-123456");
	assert_string_equal(last_identity_header, "identity-header-value");
	credential_free(cred);
	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&endpoint);
}

static void test_azure_cli(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT, az = STRBUF_INIT, path_env = STRBUF_INIT;
	const char *token, *old_path = getenv("PATH");
	char *saved_path = xstrdup(old_path ? old_path : "/usr/bin:/bin");
	(void)state;
	make_cfg(&cfg, &cloud, "azure-cli");
	strbuf_addf(&az, "%s/az", dir);
	/* arguments arrive one by one, no shell: a resource with spaces stays one argument */
	write_file(az.buf,
		   "#!/bin/sh\n"
		   "[ \"$1 $2 $3\" = 'account get-access-token --resource' ] || exit 3\n"
		   "echo '{\"accessToken\": \"cli-token-abcdef\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\"}'\n",
		   0755);
	strbuf_addf(&path_env, "%s:%s", dir, saved_path);
	setenv("PATH", path_env.buf, 1);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_OK);
	assert_string_equal(token, "cli-token-abcdef");
	credential_free(cred);
	/* not logged in */
	write_file(az.buf, "#!/bin/sh\necho 'ERROR: Please run az login to setup account.' >&2\nexit 1\n", 0755);
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_int_equal(credential_get_token(cred, cloud.arm_resource, &token, &err), CREDENTIAL_ERR_REJECTED);
	assert_non_null(strstr(err.buf, "Azure CLI"));
	assert_non_null(strstr(err.buf, "run 'az login'"));
	credential_free(cred);
	unlink(az.buf);
	setenv("PATH", saved_path, 1);
	free(saved_path);
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&az);
	strbuf_release(&path_env);
}

static void test_clouds(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct strbuf err = STRBUF_INIT, url = STRBUF_INIT;
	(void)state;
	config_init_defaults(&cfg);
	assert_int_equal(cloud_init(&cloud, &cfg, &err), 0);
	assert_string_equal(cloud.arm_endpoint, "https://management.azure.com");
	assert_string_equal(cloud.authority_host, "https://login.microsoftonline.com");
	cloud_token_url(&cloud, "t", &url);
	assert_string_equal(url.buf, "https://login.microsoftonline.com/t/oauth2/v2.0/token");
	cloud_release(&cloud);
	free(cfg.cloud_name);
	cfg.cloud_name = xstrdup("AzureUSGovernment");
	setenv("AZURE_AUTHORITY_HOST", "https://login.example.us/", 1);
	assert_int_equal(cloud_init(&cloud, &cfg, &err), 0);
	assert_string_equal(cloud.arm_endpoint, "https://management.usgovcloudapi.net");
	assert_string_equal(cloud.authority_host, "https://login.example.us");
	cloud_release(&cloud);
	unsetenv("AZURE_AUTHORITY_HOST");
	free(cfg.cloud_name);
	cfg.cloud_name = xstrdup("AzureChinaCloud");
	assert_int_equal(cloud_init(&cloud, &cfg, &err), 0);
	assert_string_equal(cloud.arm_resource, "https://management.chinacloudapi.cn/");
	cloud_release(&cloud);
	free(cfg.cloud_name);
	cfg.cloud_name = xstrdup("custom");
	assert_int_equal(cloud_init(&cloud, &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "needs arm_endpoint"));
	cloud_release(&cloud);
	strbuf_reset(&err);
	cfg.cloud_arm_endpoint = xstrdup("http://arm.example.com/");
	assert_int_equal(cloud_init(&cloud, &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "refusing plain http"));
	cloud_release(&cloud);
	strbuf_reset(&err);
	free(cfg.cloud_arm_endpoint);
	cfg.cloud_arm_endpoint = xstrdup("https://127.0.0.1:8443/");
	cfg.cloud_authority_host = xstrdup("https://127.0.0.1:8443/adfs");
	assert_int_equal(cloud_init(&cloud, &cfg, &err), 0);
	assert_string_equal(cloud.arm_resource, "https://127.0.0.1:8443/");
	strbuf_reset(&url);
	cloud_token_url(&cloud, "t", &url);
	assert_string_equal(url.buf, "https://127.0.0.1:8443/adfs/oauth2/token");
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&url);
}

/* The chain report: every method with its verdict, in order, and one fix line. */
static void test_chain_report(void **state)
{
	struct config cfg;
	struct cloud cloud;
	struct credential *cred = NULL;
	struct strbuf err = STRBUF_INIT;
	const char *old_path = getenv("PATH");
	char *saved_path = xstrdup(old_path ? old_path : "/usr/bin:/bin");
	const char *p, *order[] = { "client secret       skipped", "client certificate  skipped",
		"workload identity   skipped", "managed identity    skipped",
		"Azure CLI           skipped: 'az' is not on PATH", "\nfix: install the Azure CLI" };
	size_t i;
	(void)state;
	make_cfg(&cfg, &cloud, "auto");
	setenv("PATH", dir, 1); /* no az there */
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9", 1);
	/* no az: auto ends at the metadata endpoint, which does not answer */
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_OK);
	assert_string_equal(credential_name(cred), "managed identity");
	assert_int_not_equal(credential_check(cred, cloud.arm_resource, &err), CREDENTIAL_OK);
	for (i = 0, p = err.buf; i < sizeof(order) / sizeof(order[0]); i++) {
		p = strstr(p, order[i]);
		if (!p)
			fail_msg("'%s' missing or out of order in:\n%s", order[i], err.buf);
	}
	credential_free(cred);
	/* an explicit method: only that one, failed, with its own fix */
	strbuf_reset(&err);
	free(cfg.auth_method);
	cfg.auth_method = xstrdup("azure-cli");
	assert_int_equal(credential_new(&cfg, &cloud, &cred, &err), CREDENTIAL_ERR_CONFIG);
	assert_non_null(strstr(err.buf, "cannot sign in with [auth] method = azure-cli:\n"
				       "  Azure CLI           failed: 'az' is not on PATH"));
	assert_null(strstr(err.buf, "client secret"));
	unsetenv("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	setenv("PATH", saved_path, 1);
	free(saved_path);
	cloud_release(&cloud);
	config_release(&cfg);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_secret_file_and_cache),
		cmocka_unit_test(test_bad_secret_and_missing_file),
		cmocka_unit_test(test_certificate_assertion_verifies),
		cmocka_unit_test(test_workload_and_managed_identity),
		cmocka_unit_test(test_azure_cli),
		cmocka_unit_test(test_chain_report),
		cmocka_unit_test(test_clouds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
