/*
 * credential — the credential kinds and the token cache (see credential.h).
 *
 * Every kind ends in the same place: an access token and its expiry, cached per resource.
 * Secrets (client secret, federated token, assertion, the tokens) are registered with
 * msg_add_secret as soon as they are in memory, and error messages are built from the
 * authority's error code and description, never from what we sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/credential.h"
#include "lib/http.h"
#include "lib/jsonutil.h"
#include "lib/jwt.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define REFRESH_MARGIN_S 300
#define SECRET_CAP 65536
#define IMDS_URL "http://169.254.169.254/metadata/identity/oauth2/token"

struct credential {
	enum credential_kind kind;
	const struct cloud *cloud;   /* borrowed */
	char *tenant;
	char *client_id;
	char *secret;                /* client secret */
	char *secret_source;         /* where it came from, for messages */
	char *cert_path;
	EVP_PKEY *key;
	char *x5t;                   /* base64url SHA-1 of the DER certificate */
	char *x5t_s256;              /* base64url SHA-256 of the DER certificate */
	char *federated_token_file;
	char *identity_endpoint;     /* App Service style managed identity */
	char *identity_header;
	char *token;                 /* cached access token */
	char *token_resource;
	long long expires_at;        /* Unix seconds */
	long long refresh_at;        /* fetch a new one from here on */
	struct http_engine *engine;  /* for token requests, created on first use */
	struct strbuf chain;         /* the methods tried before this one and why each was
				      * skipped, one report line each (credential_check) */
	int is_auto;                 /* chosen by [auth] method = auto */
	size_t chain_next;           /* index in the chain of the method after this one */
};

static const char *kind_names[] = {
	[CREDENTIAL_CLIENT_SECRET] = "client secret",
	[CREDENTIAL_CLIENT_CERTIFICATE] = "client certificate",
	[CREDENTIAL_WORKLOAD_IDENTITY] = "workload identity",
	[CREDENTIAL_MANAGED_IDENTITY] = "managed identity",
	[CREDENTIAL_AZURE_CLI] = "Azure CLI",
};

enum credential_kind credential_kind(const struct credential *cred)
{
	return cred->kind;
}

const char *credential_name(const struct credential *cred)
{
	return kind_names[cred->kind];
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void credential_free(struct credential *cred)
{
	if (!cred)
		return;
	free(cred->tenant);
	free(cred->client_id);
	free(cred->secret);
	free(cred->secret_source);
	free(cred->cert_path);
	EVP_PKEY_free(cred->key);
	free(cred->x5t);
	free(cred->x5t_s256);
	free(cred->federated_token_file);
	free(cred->identity_endpoint);
	free(cred->identity_header);
	free(cred->token);
	free(cred->token_resource);
	http_engine_free(cred->engine);
	strbuf_release(&cred->chain);
	free(cred);
}

void credential_invalidate(struct credential *cred)
{
	free(cred->token);
	cred->token = NULL;
	cred->expires_at = 0;
	cred->refresh_at = 0;
}

/* Tenant and client id, which the app-registration kinds all need. */
static enum credential_result need_ids(struct credential *cred, const struct config *cfg,
				       struct strbuf *err)
{
	const char *client_id = cfg->auth_client_id ? cfg->auth_client_id : env("AZURE_CLIENT_ID");
	if (!cred->cloud->tenant_id) {
		strbuf_addf(err, "%s: no tenant id: set [cloud] tenant_id or AZURE_TENANT_ID",
			    kind_names[cred->kind]);
		return CREDENTIAL_ERR_CONFIG;
	}
	if (!client_id) {
		strbuf_addf(err, "%s: no client id: set [auth] client_id or AZURE_CLIENT_ID",
			    kind_names[cred->kind]);
		return CREDENTIAL_ERR_CONFIG;
	}
	cred->tenant = xstrdup(cred->cloud->tenant_id);
	cred->client_id = xstrdup(client_id);
	return CREDENTIAL_OK;
}

static enum credential_result setup_secret(struct credential *cred, const struct config *cfg,
					   struct strbuf *err)
{
	const char *from_env = env("AZURE_CLIENT_SECRET");
	enum credential_result ret;

	if (!cfg->auth_client_secret_file && !from_env) {
		strbuf_addstr(err, "client secret: AZURE_CLIENT_SECRET is not set, nor [auth] "
			      "client_secret_file");
		return CREDENTIAL_ERR_UNAVAILABLE;
	}
	if ((ret = need_ids(cred, cfg, err)) != CREDENTIAL_OK)
		return ret;
	if (cfg->auth_client_secret_file) {
		struct strbuf sb = STRBUF_INIT;
		if (strbuf_read_file(&sb, cfg->auth_client_secret_file, SECRET_CAP) < 0) {
			strbuf_addf(err, "client secret: cannot read '%s': %s: fix [auth] "
				    "client_secret_file or set AZURE_CLIENT_SECRET",
				    cfg->auth_client_secret_file, strerror(errno));
			strbuf_release(&sb);
			return CREDENTIAL_ERR_CONFIG;
		}
		strbuf_trim(&sb);
		msg_add_secret(sb.buf);
		if (!sb.len) {
			strbuf_addf(err, "client secret: '%s' is empty: put the secret in it",
				    cfg->auth_client_secret_file);
			strbuf_release(&sb);
			return CREDENTIAL_ERR_CONFIG;
		}
		cred->secret = strbuf_detach(&sb, NULL);
		cred->secret_source = xstrdup("[auth] client_secret_file");
	} else {
		msg_add_secret(from_env);
		cred->secret = xstrdup(from_env);
		cred->secret_source = xstrdup("AZURE_CLIENT_SECRET");
	}
	return CREDENTIAL_OK;
}

static void format_asn1_time(const ASN1_TIME *t, char *out, size_t size)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(out, size, "an unreadable date");
}

static enum credential_result setup_certificate(struct credential *cred, const struct config *cfg,
						struct strbuf *err)
{
	const char *path = cfg->auth_client_certificate_file ? cfg->auth_client_certificate_file
							     : env("AZURE_CLIENT_CERTIFICATE_PATH");
	const char *fix = cfg->auth_client_certificate_file ? "[auth] client_certificate_file"
							     : "AZURE_CLIENT_CERTIFICATE_PATH";
	struct strbuf pem = STRBUF_INIT;
	enum credential_result ret;
	unsigned char *der = NULL, digest[EVP_MAX_MD_SIZE];
	unsigned digest_len;
	X509 *cert = NULL;
	BIO *bio = NULL;
	int der_len;
	char when[64];

	if (!path) {
		strbuf_addstr(err, "client certificate: AZURE_CLIENT_CERTIFICATE_PATH is not set, nor "
			      "[auth] client_certificate_file");
		return CREDENTIAL_ERR_UNAVAILABLE;
	}
	if ((ret = need_ids(cred, cfg, err)) != CREDENTIAL_OK)
		return ret;
	ret = CREDENTIAL_ERR_CONFIG;
	cred->cert_path = xstrdup(path);
	if (strbuf_read_file(&pem, path, SECRET_CAP) < 0) {
		strbuf_addf(err, "client certificate: cannot read '%s': %s: point %s at a PEM file "
			    "with the certificate and its private key", path, strerror(errno), fix);
		goto out;
	}
	bio = BIO_new_mem_buf(pem.buf, (int)pem.len);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = BIO_new_mem_buf(pem.buf, (int)pem.len);
	cred->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!cert || !cred->key) {
		strbuf_addf(err, "client certificate: '%s' has no %s: %s must name one PEM file "
			    "holding both the certificate and its (unencrypted) private key", path,
			    !cert ? "certificate" : "private key", fix);
		goto out;
	}
	if (X509_check_private_key(cert, cred->key) != 1) {
		strbuf_addf(err, "client certificate: the private key in '%s' does not match its "
			    "certificate: export them together again", path);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		format_asn1_time(X509_get0_notAfter(cert), when, sizeof(when));
		strbuf_addf(err, "client certificate: '%s' expired on %s: issue a new certificate, "
			    "register it on the application and point %s at it", path, when, fix);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
		format_asn1_time(X509_get0_notBefore(cert), when, sizeof(when));
		strbuf_addf(err, "client certificate: '%s' is not valid before %s: check the clock "
			    "or use a certificate that is already valid", path, when);
		goto out;
	}
	der_len = i2d_X509(cert, &der);
	if (der_len <= 0) {
		strbuf_addf(err, "client certificate: cannot encode '%s'", path);
		goto out;
	}
	{
		struct strbuf sb = STRBUF_INIT;
		EVP_Digest(der, (size_t)der_len, digest, &digest_len, EVP_sha256(), NULL);
		jwt_base64url(&sb, digest, digest_len);
		cred->x5t_s256 = strbuf_detach(&sb, NULL);
		EVP_Digest(der, (size_t)der_len, digest, &digest_len, EVP_sha1(), NULL);
		jwt_base64url(&sb, digest, digest_len);
		cred->x5t = strbuf_detach(&sb, NULL);
	}
	ret = CREDENTIAL_OK;
out:
	OPENSSL_free(der);
	BIO_free(bio);
	X509_free(cert);
	strbuf_release(&pem);
	return ret;
}

static enum credential_result setup_workload(struct credential *cred, const struct config *cfg,
					     struct strbuf *err)
{
	const char *file = env("AZURE_FEDERATED_TOKEN_FILE");
	enum credential_result ret;
	if (!file) {
		strbuf_addstr(err, "workload identity: AZURE_FEDERATED_TOKEN_FILE is not set");
		return CREDENTIAL_ERR_UNAVAILABLE;
	}
	if ((ret = need_ids(cred, cfg, err)) != CREDENTIAL_OK)
		return ret;
	if (access(file, R_OK) < 0) {
		strbuf_addf(err, "workload identity: cannot read '%s': %s: fix "
			    "AZURE_FEDERATED_TOKEN_FILE (the projected service account token)",
			    file, strerror(errno));
		return CREDENTIAL_ERR_CONFIG;
	}
	cred->federated_token_file = xstrdup(file);
	return CREDENTIAL_OK;
}

static enum credential_result setup_managed(struct credential *cred, const struct config *cfg,
					    int explicit, struct strbuf *err)
{
	const char *endpoint = env("IDENTITY_ENDPOINT"), *header = env("IDENTITY_HEADER");
	const char *client_id = cfg->auth_client_id ? cfg->auth_client_id : env("AZURE_CLIENT_ID");
	if (endpoint && !header) {
		strbuf_addstr(err, "managed identity: IDENTITY_ENDPOINT is set without IDENTITY_HEADER: "
			      "set both (App Service provides them)");
		return CREDENTIAL_ERR_CONFIG;
	}
	if (!endpoint && !explicit) {
		strbuf_addstr(err, "managed identity: IDENTITY_ENDPOINT is not set");
		return CREDENTIAL_ERR_UNAVAILABLE;
	}
	if (endpoint) {
		struct strbuf check = STRBUF_INIT;
		if (http_check_url(endpoint, &check) < 0) {
			strbuf_addf(err, "managed identity: IDENTITY_ENDPOINT: %s", check.buf);
			strbuf_release(&check);
			return CREDENTIAL_ERR_CONFIG;
		}
		strbuf_release(&check);
		cred->identity_endpoint = xstrdup(endpoint);
		cred->identity_header = xstrdup(header);
		msg_add_secret(header);
	}
	if (client_id)
		cred->client_id = xstrdup(client_id);
	return CREDENTIAL_OK;
}

/* Whether a program is on PATH (what execvp would find). */
static int on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p;
	struct strbuf sb = STRBUF_INIT;
	int found = 0;
	for (p = path; p && *p && !found;) {
		size_t n = strcspn(p, ":");
		strbuf_reset(&sb);
		strbuf_add(&sb, p, n);
		strbuf_addf(&sb, "/%s", prog);
		found = access(sb.buf, X_OK) == 0;
		p += n;
		if (*p == ':')
			p++;
	}
	strbuf_release(&sb);
	return found;
}

static const enum credential_kind chain[] = {
	CREDENTIAL_CLIENT_SECRET, CREDENTIAL_CLIENT_CERTIFICATE, CREDENTIAL_WORKLOAD_IDENTITY,
	CREDENTIAL_MANAGED_IDENTITY, CREDENTIAL_AZURE_CLI,
};

static const char *const method_names[] = {
	[CREDENTIAL_CLIENT_SECRET] = "client-secret",
	[CREDENTIAL_CLIENT_CERTIFICATE] = "client-certificate",
	[CREDENTIAL_WORKLOAD_IDENTITY] = "workload-identity",
	[CREDENTIAL_MANAGED_IDENTITY] = "managed-identity",
	[CREDENTIAL_AZURE_CLI] = "azure-cli",
};

/* Nothing is set up: a person at a terminal most likely wants the Azure CLI. */
#define NOTHING_SET_UP_FIX "install the Azure CLI and run 'az login', or set AZURE_TENANT_ID, " \
	"AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal"

/* One report line: "  client secret       skipped: AZURE_CLIENT_SECRET is not set". */
static void chain_line(struct strbuf *sb, enum credential_kind kind, const char *verdict,
		       const char *why)
{
	size_t n = strlen(kind_names[kind]);
	/* the reasons start with the kind's name, which the line already shows */
	if (!strncmp(why, kind_names[kind], n) && why[n] == ':' && why[n + 1] == ' ')
		why += n + 2;
	strbuf_addf(sb, "\n  %-19s %s%s%s", kind_names[kind], verdict, *why ? ": " : "", why);
}

/* The rest of the chain after index from, which auto never reached. */
static void chain_not_tried(struct strbuf *sb, size_t from)
{
	size_t i;
	for (i = from; i < ARRAY_SIZE(chain); i++)
		chain_line(sb, chain[i], "not tried", "the chain stops at the first method that is set up");
}

/* The one thing to do when kind failed (fix is static, or built into sb). */
static void fix_for(struct strbuf *sb, enum credential_kind kind, const char *tenant)
{
	switch (kind) {
	case CREDENTIAL_CLIENT_SECRET:
		strbuf_addstr(sb, "check the client secret (AZURE_CLIENT_SECRET or [auth] "
			      "client_secret_file) and the client id (AZURE_CLIENT_ID or [auth] "
			      "client_id): the secret may be wrong or expired");
		break;
	case CREDENTIAL_CLIENT_CERTIFICATE:
		strbuf_addstr(sb, "point AZURE_CLIENT_CERTIFICATE_PATH or [auth] "
			      "client_certificate_file at a valid PEM (certificate and key) that is "
			      "registered on the application");
		break;
	case CREDENTIAL_WORKLOAD_IDENTITY:
		strbuf_addstr(sb, "check AZURE_FEDERATED_TOKEN_FILE and the federated credential "
			      "on the application named by AZURE_CLIENT_ID");
		break;
	case CREDENTIAL_MANAGED_IDENTITY:
		strbuf_addstr(sb, "run where a managed identity is assigned (App Service sets "
			      "IDENTITY_ENDPOINT and IDENTITY_HEADER), or choose another [auth] method");
		break;
	case CREDENTIAL_AZURE_CLI:
		if (tenant)
			strbuf_addf(sb, "run 'az login --tenant %s'", tenant);
		else
			strbuf_addstr(sb, "run 'az login'");
		break;
	}
}

/* The whole report: head line, the chain, the fix. */
static void chain_report(struct strbuf *err, const char *method, int is_auto,
			 const struct strbuf *lines, const char *fix)
{
	if (is_auto)
		strbuf_addstr(err, "no credential could sign in ([auth] method = auto tried, in order):");
	else
		strbuf_addf(err, "cannot sign in with [auth] method = %s:", method);
	strbuf_add(err, lines->buf, lines->len);
	strbuf_addf(err, "\nfix: %s", fix);
}

enum credential_result credential_new(const struct config *cfg, const struct cloud *cloud,
				      struct credential **out, struct strbuf *err)
{
	const char *method = cfg->auth_method ? cfg->auth_method : "auto";
	struct credential *cred = NULL;
	enum credential_result ret = CREDENTIAL_ERR_UNAVAILABLE;
	struct strbuf tried = STRBUF_INIT, fix = STRBUF_INIT;
	size_t i;
	int is_auto = !strcmp(method, "auto");

	for (i = 0; i < ARRAY_SIZE(chain); i++) {
		enum credential_kind kind = chain[i];
		struct strbuf why = STRBUF_INIT;
		if (!is_auto && strcmp(method, method_names[kind]))
			continue;
		cred = xcalloc(1, sizeof(*cred));
		cred->kind = kind;
		cred->cloud = cloud;
		strbuf_init(&cred->chain, 0);
		switch (kind) {
		case CREDENTIAL_CLIENT_SECRET:
			ret = setup_secret(cred, cfg, &why);
			break;
		case CREDENTIAL_CLIENT_CERTIFICATE:
			ret = setup_certificate(cred, cfg, &why);
			break;
		case CREDENTIAL_WORKLOAD_IDENTITY:
			ret = setup_workload(cred, cfg, &why);
			break;
		case CREDENTIAL_MANAGED_IDENTITY:
			/* auto reaches the metadata endpoint only when no Azure CLI is installed:
			 * probing a link-local address on every laptop would be slow and noisy */
			ret = setup_managed(cred, cfg, !is_auto || !on_path("az"), &why);
			if (ret == CREDENTIAL_ERR_UNAVAILABLE && is_auto)
				strbuf_addstr(&why, " (and 'az' is on PATH, so the instance metadata "
					      "endpoint is not probed)");
			break;
		case CREDENTIAL_AZURE_CLI:
			if (!on_path("az")) {
				strbuf_addstr(&why, "Azure CLI: 'az' is not on PATH: install the Azure "
					      "CLI and run 'az login', or choose another [auth] method");
				ret = is_auto ? CREDENTIAL_ERR_UNAVAILABLE : CREDENTIAL_ERR_CONFIG;
			} else {
				ret = CREDENTIAL_OK;
				if (cloud->tenant_id)
					cred->tenant = xstrdup(cloud->tenant_id);
			}
			break;
		}
		if (ret == CREDENTIAL_OK) {
			strbuf_release(&why);
			break;
		}
		credential_free(cred);
		cred = NULL;
		if (ret != CREDENTIAL_ERR_UNAVAILABLE || !is_auto) {
			chain_line(&tried, kind, "failed", why.buf);
			if (is_auto)
				chain_not_tried(&tried, i + 1);
			fix_for(&fix, kind, cloud->tenant_id);
			chain_report(err, method, is_auto, &tried, fix.buf);
			strbuf_release(&why);
			if (ret == CREDENTIAL_ERR_UNAVAILABLE)
				ret = CREDENTIAL_ERR_CONFIG;
			goto out;
		}
		chain_line(&tried, kind, "skipped", why.buf);
		strbuf_release(&why);
	}
	if (!cred) {
		chain_report(err, method, is_auto, &tried, NOTHING_SET_UP_FIX);
		ret = CREDENTIAL_ERR_UNAVAILABLE;
		goto out;
	}
	strbuf_release(&cred->chain);
	cred->chain = tried;       /* moved: tried is left empty */
	strbuf_init(&tried, 0);
	cred->is_auto = is_auto;
	cred->chain_next = i + 1;
	*out = cred;
	cred = NULL;
	ret = CREDENTIAL_OK;
out:
	credential_free(cred);
	strbuf_release(&tried);
	strbuf_release(&fix);
	return ret;
}

enum credential_result credential_check(struct credential *cred, const char *resource,
					struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT, lines = STRBUF_INIT, fix = STRBUF_INIT;
	const char *token;
	enum credential_result ret = credential_get_token(cred, resource, &token, &why);

	if (ret == CREDENTIAL_OK)
		goto out;
	strbuf_add(&lines, cred->chain.buf, cred->chain.len);
	if (cred->is_auto && cred->kind == CREDENTIAL_MANAGED_IDENTITY && !cred->identity_endpoint &&
	    ret == CREDENTIAL_ERR_TRANSPORT) {
		/* auto probed the metadata endpoint because no 'az' is installed: nobody answering
		 * there means "not an Azure host", not a broken identity */
		chain_line(&lines, cred->kind, "skipped", "IDENTITY_ENDPOINT is not set and the "
			   "instance metadata endpoint does not answer (not an Azure host)");
		chain_line(&lines, CREDENTIAL_AZURE_CLI, "skipped", "'az' is not on PATH");
		strbuf_addstr(&fix, NOTHING_SET_UP_FIX);
	} else {
		chain_line(&lines, cred->kind, "failed", why.buf);
		if (cred->is_auto)
			chain_not_tried(&lines, cred->chain_next);
		fix_for(&fix, cred->kind, cred->tenant);
	}
	chain_report(err, cred->is_auto ? "auto" : method_names[cred->kind], cred->is_auto,
		     &lines, fix.buf);
out:
	strbuf_release(&why);
	strbuf_release(&lines);
	strbuf_release(&fix);
	return ret;
}

/* ---- token requests ---- */

struct fetch {
	int done;
	long status;
	enum http_result result;
	struct strbuf body;
	struct strbuf error;
};

static void on_fetch_done(struct http_response *resp, void *data)
{
	struct fetch *f = data;
	f->done = 1;
	f->status = resp->status;
	f->result = resp->result;
	strbuf_add(&f->body, resp->body.buf, resp->body.len);
	if (resp->error)
		strbuf_addstr(&f->error, resp->error);
}

/* One synchronous request on the credential's own engine. */
static void fetch(struct credential *cred, const char *method, const char *url,
		  const char *const *headers, const char *body, long timeout_ms, struct fetch *f)
{
	struct http_request req;
	struct strbuf err = STRBUF_INIT;

	if (!cred->engine) {
		struct http_engine_options o;
		memset(&o, 0, sizeof(o));
		o.concurrency = 2;
		o.max_tries = 4;
		o.request_timeout_ms = 60000;
		o.attempt_timeout_ms = 30000;
		o.backoff_base_ms = 250;
		o.backoff_cap_ms = 4000;
		o.ca_file = cred->cloud->ca_file;
		if (http_engine_new(&o, &cred->engine, &err) < 0) {
			f->done = 1;
			f->result = HTTP_ERR_TRANSPORT;
			strbuf_add(&f->error, err.buf, err.len);
			strbuf_release(&err);
			return;
		}
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = timeout_ms;
	/* a token request changes nothing: resending it is safe; a probe with its own short
	 * timeout (the metadata endpoint) is asked once */
	req.flags = HTTP_IDEMPOTENT | (timeout_ms ? HTTP_NO_RETRY : 0);
	http_engine_submit(cred->engine, &req, on_fetch_done, f);
	while (!f->done)
		http_engine_run(cred->engine, -1);
	strbuf_release(&err);
}

static void add_form(struct strbuf *sb, const char *name, const char *value)
{
	if (sb->len)
		strbuf_addch(sb, '&');
	strbuf_addf(sb, "%s=", name);
	strbuf_add_urlencoded(sb, value);
}

/* Reads {"access_token", "expires_in" | "expires_on"} from a token endpoint's body. */
static enum credential_result take_token(struct credential *cred, const char *text, size_t len,
					 struct strbuf *err)
{
	json_t *root = json_loadb(text, len, 0, NULL);
	const char *token = json_string_value(json_object_get(root, "access_token"));
	json_t *in = json_object_get(root, "expires_in"), *on = json_object_get(root, "expires_on");
	long long now = (long long)time(NULL), expires = now + 3600;
	enum credential_result ret = CREDENTIAL_ERR_TRANSPORT;

	if (!token || !*token) {
		strbuf_addf(err, "%s: the token endpoint answered without an access_token",
			    kind_names[cred->kind]);
		goto out;
	}
	msg_add_secret(token);
	if (json_is_integer(in))
		expires = now + json_integer_value(in);
	else if (json_is_string(in))
		expires = now + strtoll(json_string_value(in), NULL, 10);
	else if (json_is_integer(on))
		expires = json_integer_value(on);
	else if (json_is_string(on))
		expires = strtoll(json_string_value(on), NULL, 10);
	free(cred->token);
	cred->token = xstrdup(token);
	cred->expires_at = expires;
	ret = CREDENTIAL_OK;
out:
	json_decref(root);
	return ret;
}

static enum credential_result token_error(struct credential *cred, struct fetch *f,
					  const char *url, struct strbuf *err)
{
	json_t *root;
	const char *code, *desc;
	const char *fix;

	if (f->result != HTTP_OK) {
		strbuf_addf(err, "%s: cannot reach the token endpoint: %s", kind_names[cred->kind],
			    f->error.buf);
		return CREDENTIAL_ERR_TRANSPORT;
	}
	root = json_loadb(f->body.buf, f->body.len, 0, NULL);
	code = json_string_value(json_object_get(root, "error"));
	desc = json_string_value(json_object_get(root, "error_description"));
	if (!code) {
		json_t *e = json_object_get(root, "error");
		code = json_string_value(json_object_get(e, "code"));
		desc = json_string_value(json_object_get(e, "message"));
	}
	switch (cred->kind) {
	case CREDENTIAL_CLIENT_SECRET:
		fix = cred->secret_source && !strcmp(cred->secret_source, "AZURE_CLIENT_SECRET")
			? "check AZURE_CLIENT_SECRET and AZURE_CLIENT_ID (the secret may be wrong or expired)"
			: "check the secret in [auth] client_secret_file and [auth] client_id (it may be wrong or expired)";
		break;
	case CREDENTIAL_CLIENT_CERTIFICATE:
		fix = "check that this certificate is registered on the application named by the client id";
		break;
	case CREDENTIAL_WORKLOAD_IDENTITY:
		fix = "check the federated credential on the application and AZURE_FEDERATED_TOKEN_FILE";
		break;
	case CREDENTIAL_MANAGED_IDENTITY:
		fix = "check that this host has a managed identity (and AZURE_CLIENT_ID for a user-assigned one)";
		break;
	default:
		fix = "run 'az login'";
		break;
	}
	strbuf_addf(err, "%s was rejected by '%s' (HTTP %ld%s%s)%s%s: %s", kind_names[cred->kind],
		    url, f->status, code ? ", " : "", code ? code : "", desc ? ": " : "",
		    desc ? desc : "", fix);
	json_decref(root);
	return f->status >= 400 && f->status < 500 ? CREDENTIAL_ERR_REJECTED : CREDENTIAL_ERR_TRANSPORT;
}

static enum credential_result client_assertion(struct credential *cred, const char *audience,
					       struct strbuf *out, struct strbuf *err)
{
	long long now = (long long)time(NULL);
	unsigned char rnd[16];
	struct strbuf jti = STRBUF_INIT;
	json_t *header, *claims;
	int rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0x5a, sizeof(rnd));
	jwt_base64url(&jti, rnd, sizeof(rnd));
	header = json_pack("{s:s, s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT",
			   "x5t#S256", cred->x5t_s256, "x5t", cred->x5t);
	claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", audience,
			   "iss", cred->client_id, "sub", cred->client_id, "jti", jti.buf,
			   "nbf", (json_int_t)now, "iat", (json_int_t)now,
			   "exp", (json_int_t)(now + 600));
	rc = jwt_sign_rs256(cred->key, header, claims, out, err);
	json_decref(header);
	json_decref(claims);
	strbuf_release(&jti);
	if (rc < 0)
		return CREDENTIAL_ERR_CONFIG;
	msg_add_secret(out->buf);
	return CREDENTIAL_OK;
}

/* client_credentials against Entra ID (v2.0) or ADFS, for the three app-registration kinds. */
static enum credential_result fetch_app_token(struct credential *cred, const char *resource,
					      struct strbuf *err)
{
	static const char *const form_headers[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL,
	};
	struct strbuf url = STRBUF_INIT, form = STRBUF_INIT, scope = STRBUF_INIT;
	struct strbuf assertion = STRBUF_INIT;
	struct fetch f = { 0, 0, HTTP_OK, STRBUF_INIT, STRBUF_INIT };
	enum credential_result ret;
	size_t len = strlen(cred->cloud->authority_host);
	int adfs = len >= 5 && !strcasecmp(cred->cloud->authority_host + len - 5, "/adfs");

	cloud_token_url(cred->cloud, cred->tenant, &url);
	strbuf_addstr(&scope, resource);
	if (scope.len && scope.buf[scope.len - 1] != '/')
		strbuf_addch(&scope, '/');
	strbuf_addstr(&scope, ".default");
	add_form(&form, "grant_type", "client_credentials");
	add_form(&form, "client_id", cred->client_id);
	if (adfs)
		add_form(&form, "resource", resource);
	else
		add_form(&form, "scope", scope.buf);
	switch (cred->kind) {
	case CREDENTIAL_CLIENT_SECRET:
		add_form(&form, "client_secret", cred->secret);
		break;
	case CREDENTIAL_CLIENT_CERTIFICATE:
		if ((ret = client_assertion(cred, url.buf, &assertion, err)) != CREDENTIAL_OK)
			goto out;
		add_form(&form, "client_assertion_type",
			 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		add_form(&form, "client_assertion", assertion.buf);
		break;
	case CREDENTIAL_WORKLOAD_IDENTITY:
		/* re-read every time: the platform rotates the projected token */
		if (strbuf_read_file(&assertion, cred->federated_token_file, SECRET_CAP) < 0) {
			strbuf_addf(err, "workload identity: cannot read '%s': %s: fix "
				    "AZURE_FEDERATED_TOKEN_FILE", cred->federated_token_file,
				    strerror(errno));
			ret = CREDENTIAL_ERR_CONFIG;
			goto out;
		}
		strbuf_trim(&assertion);
		msg_add_secret(assertion.buf);
		add_form(&form, "client_assertion_type",
			 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		add_form(&form, "client_assertion", assertion.buf);
		break;
	default:
		break;
	}
	fetch(cred, "POST", url.buf, form_headers, form.buf, 0, &f);
	if (f.result == HTTP_OK && f.status == 200)
		ret = take_token(cred, f.body.buf, f.body.len, err);
	else
		ret = token_error(cred, &f, url.buf, err);
out:
	strbuf_release(&url);
	strbuf_release(&form);
	strbuf_release(&scope);
	strbuf_release(&assertion);
	strbuf_release(&f.body);
	strbuf_release(&f.error);
	return ret;
}

static enum credential_result fetch_managed_token(struct credential *cred, const char *resource,
						  struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT, hdr = STRBUF_INIT;
	struct fetch f = { 0, 0, HTTP_OK, STRBUF_INIT, STRBUF_INIT };
	const char *headers[3] = { NULL, "Accept: application/json", NULL };
	enum credential_result ret;

	if (cred->identity_endpoint) {
		strbuf_addf(&url, "%s%capi-version=2019-08-01&resource=", cred->identity_endpoint,
			    strchr(cred->identity_endpoint, '?') ? '&' : '?');
		strbuf_add_urlencoded(&url, resource);
		strbuf_addf(&hdr, "X-IDENTITY-HEADER: %s", cred->identity_header);
	} else {
		/* Azure's SDKs honour this override of the metadata host (pod identity) */
		const char *host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
		if (host)
			strbuf_addf(&url, "%.*s/metadata/identity/oauth2/token", (int)(strlen(host) -
				    (host[strlen(host) - 1] == '/')), host);
		else
			strbuf_addstr(&url, IMDS_URL);
		strbuf_addstr(&url, "?api-version=2018-02-01&resource=");
		strbuf_add_urlencoded(&url, resource);
		strbuf_addstr(&hdr, "Metadata: true");
	}
	if (cred->client_id) {
		strbuf_addstr(&url, "&client_id=");
		strbuf_add_urlencoded(&url, cred->client_id);
	}
	headers[0] = hdr.buf;
	/* the metadata endpoint answers at once or not at all: give up on it quickly */
	fetch(cred, "GET", url.buf, headers, NULL, cred->identity_endpoint ? 0 : 5000, &f);
	if (f.result == HTTP_OK && f.status == 200)
		ret = take_token(cred, f.body.buf, f.body.len, err);
	else
		ret = token_error(cred, &f, cred->identity_endpoint ? "IDENTITY_ENDPOINT" :
				  "the instance metadata endpoint", err);
	strbuf_release(&url);
	strbuf_release(&hdr);
	strbuf_release(&f.body);
	strbuf_release(&f.error);
	return ret;
}

/* Runs argv (no shell), capturing stdout and stderr (each capped). Returns the exit status. */
static int run_program(char *const argv[], struct strbuf *out, struct strbuf *errout)
{
	int outp[2], errp[2], status = -1;
	pid_t pid;

	if (pipe(outp) < 0)
		return -1;
	if (pipe(errp) < 0) {
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	{
		/* read both pipes until EOF without letting either fill up */
		int fds[2] = { outp[0], errp[0] }, open_nr = 2;
		struct strbuf *bufs[2] = { out, errout };
		char chunk[4096];
		while (open_nr) {
			fd_set set;
			int i, maxfd = -1;
			FD_ZERO(&set);
			for (i = 0; i < 2; i++)
				if (fds[i] >= 0) {
					FD_SET(fds[i], &set);
					if (fds[i] > maxfd)
						maxfd = fds[i];
				}
			if (select(maxfd + 1, &set, NULL, NULL, NULL) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (i = 0; i < 2; i++) {
				ssize_t n;
				if (fds[i] < 0 || !FD_ISSET(fds[i], &set))
					continue;
				n = read(fds[i], chunk, sizeof(chunk));
				if (n > 0) {
					strbuf_add_capped(bufs[i], chunk, (size_t)n, 1 << 20);
				} else if (n == 0 || errno != EINTR) {
					close(fds[i]);
					fds[i] = -1;
					open_nr--;
				}
			}
		}
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "2024-01-01 12:00:00.000000", in local time, as older CLIs print expiresOn. */
static long long parse_local_time(const char *s)
{
	struct tm tm;
	int n;
	memset(&tm, 0, sizeof(tm));
	n = sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec);
	if (n != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

static enum credential_result fetch_cli_token(struct credential *cred, const char *resource,
					      struct strbuf *err)
{
	char *argv[10];
	struct strbuf out = STRBUF_INIT, errout = STRBUF_INIT;
	json_t *root = NULL;
	const char *token;
	json_t *on;
	enum credential_result ret = CREDENTIAL_ERR_REJECTED;
	int n = 0, status;

	argv[n++] = "az";
	argv[n++] = "account";
	argv[n++] = "get-access-token";
	argv[n++] = "--resource";
	argv[n++] = (char *)resource;
	argv[n++] = "--output";
	argv[n++] = "json";
	if (cred->tenant) {
		argv[n++] = "--tenant";
		argv[n++] = cred->tenant;
	}
	argv[n] = NULL;
	status = run_program(argv, &out, &errout);
	if (status == 127 || status < 0) {
		strbuf_addstr(err, "Azure CLI: cannot run 'az': install the Azure CLI and run "
			      "'az login', or choose another [auth] method");
		ret = CREDENTIAL_ERR_CONFIG;
		goto out;
	}
	if (status) {
		strbuf_trim(&errout);
		strbuf_setlen(&errout, strcspn(errout.buf, "\n"));
		strbuf_addf(err, "Azure CLI: 'az account get-access-token' failed (exit %d)%s%s: "
			    "run 'az login'%s", status, errout.len ? ": " : "", errout.buf,
			    cred->tenant ? " for this tenant" : "");
		goto out;
	}
	root = json_loadb(out.buf, out.len, 0, NULL);
	token = json_string_value(json_object_get(root, "accessToken"));
	if (!token || !*token) {
		strbuf_addstr(err, "Azure CLI: 'az account get-access-token' printed no accessToken: "
			      "update the Azure CLI");
		ret = CREDENTIAL_ERR_TRANSPORT;
		goto out;
	}
	msg_add_secret(token);
	free(cred->token);
	cred->token = xstrdup(token);
	on = json_object_get(root, "expires_on");
	if (json_is_integer(on))
		cred->expires_at = json_integer_value(on);
	else if (json_is_string(on))
		cred->expires_at = strtoll(json_string_value(on), NULL, 10);
	else if (json_is_string(json_object_get(root, "expiresOn")))
		cred->expires_at = parse_local_time(json_string_value(json_object_get(root, "expiresOn")));
	if (cred->expires_at <= 0)
		cred->expires_at = (long long)time(NULL) + 600;
	ret = CREDENTIAL_OK;
out:
	/* whatever the CLI printed may hold the token: never keep it around */
	json_decref(root);
	strbuf_release(&out);
	strbuf_release(&errout);
	return ret;
}

enum credential_result credential_get_token(struct credential *cred, const char *resource,
					    const char **token, struct strbuf *err)
{
	enum credential_result ret;
	long long now = (long long)time(NULL);

	if (cred->token && cred->token_resource && !strcmp(cred->token_resource, resource) &&
	    now < cred->refresh_at) {
		*token = cred->token;
		return CREDENTIAL_OK;
	}
	credential_invalidate(cred);
	switch (cred->kind) {
	case CREDENTIAL_MANAGED_IDENTITY:
		ret = fetch_managed_token(cred, resource, err);
		break;
	case CREDENTIAL_AZURE_CLI:
		ret = fetch_cli_token(cred, resource, err);
		break;
	default:
		ret = fetch_app_token(cred, resource, err);
		break;
	}
	if (ret != CREDENTIAL_OK)
		return ret;
	free(cred->token_resource);
	cred->token_resource = xstrdup(resource);
	/* five minutes early, or halfway for a token that lives less than ten minutes */
	cred->refresh_at = cred->expires_at - REFRESH_MARGIN_S;
	if (cred->expires_at - now < 2 * REFRESH_MARGIN_S)
		cred->refresh_at = now + (cred->expires_at - now) / 2;
	msg_debug("%s: got a token for '%s', valid %lld s", kind_names[cred->kind], resource,
		  cred->expires_at - now);
	*token = cred->token;
	return CREDENTIAL_OK;
}
