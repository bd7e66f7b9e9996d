/*
 * ops_identity — token endpoints (see ops_identity.h).
 *
 * Tokens carry real-time iat/nbf/exp (clients compare them with their own clock), the caller's
 * oid/appid/tid, and the resource asked for as aud; ARM routes accept them when aud is one of
 * ARM's resources (authz_audience_ok).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armsim/authz.h"
#include "armsim/ops_identity.h"
#include "armsim/server.h"
#include "armsim/token.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define EXCHANGE_AUDIENCE "api://AzureADTokenExchange"
#define CLOCK_SKEW_S 300

static atomic_uint_fast64_t jti_counter;

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Finds key in an application/x-www-form-urlencoded body; decodes its value into out. */
static int form_get(const char *body, const char *key, struct strbuf *out)
{
	size_t klen = strlen(key);
	const char *p = body;
	strbuf_reset(out);
	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			const char *v;
			for (v = p + klen + 1; v < end; v++) {
				if (*v == '+')
					strbuf_addch(out, ' ');
				else if (*v == '%' && v + 2 < end && hexval(v[1]) >= 0 &&
					 hexval(v[2]) >= 0) {
					strbuf_addch(out, hexval(v[1]) * 16 + hexval(v[2]));
					v += 2;
				} else
					strbuf_addch(out, *v);
			}
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static void entra_error(struct armsim_request *req, struct armsim_response *resp,
			unsigned status, const char *error, int code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void entra_error(struct armsim_request *req, struct armsim_response *resp,
			unsigned status, const char *error, int code, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%SZ", &tm);
	strbuf_addf(&msg, "AADSTS%d: ", code);
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	armsim_response_json(resp, status, json_pack(
		"{s:s, s:s, s:[i], s:s, s:s, s:s, s:s}", "error", error, "error_description", msg.buf,
		"error_codes", code, "timestamp", now, "trace_id", "00000000-0000-0000-0000-000000000000",
		"correlation_id", "00000000-0000-0000-0000-000000000000", "error_uri",
		"https://login.microsoftonline.com/error"));
	(void)req;
	strbuf_release(&msg);
}

enum flavour { FLAVOUR_V2, FLAVOUR_V1, FLAVOUR_ADFS };

/* The resource a token is for, from scope ("<resource>/.default") or resource. */
static int requested_resource(const char *scope, const char *resource, struct strbuf *out)
{
	static const char suffix[] = "/.default";
	size_t n;
	strbuf_reset(out);
	if (scope && *scope) {
		n = strlen(scope);
		if (n <= sizeof(suffix) - 1 || strcasecmp(scope + n - (sizeof(suffix) - 1), suffix) ||
		    strchr(scope, ' '))
			return -1;
		strbuf_add(out, scope, n - (sizeof(suffix) - 1));
		/* "https://management.azure.com//.default" is what a resource with a slash gives */
		return 0;
	}
	if (resource && *resource) {
		strbuf_addstr(out, resource);
		return 0;
	}
	return -1;
}

static int resource_known(const char *resource, const char *base_url)
{
	size_t n = strlen(resource);
	char trimmed[512];
	if (n >= sizeof(trimmed))
		return 0;
	memcpy(trimmed, resource, n + 1);
	while (n > 1 && trimmed[n - 1] == '/' && trimmed[n - 2] == '/')
		trimmed[--n] = '\0';
	return authz_audience_ok(trimmed, base_url) ||
	       !strcasecmp(trimmed, "https://graph.microsoft.com") ||
	       !strcasecmp(trimmed, "https://graph.microsoft.com/");
}

/* The token endpoint URL a client assertion must name as its audience. */
static void endpoint_url(struct armsim_request *req, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s%s", req->base_url, req->path);
}

/* Checks iat/nbf/exp of an assertion against real time with Entra's five-minute skew. */
static int assertion_time_ok(const json_t *claims)
{
	json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
	time_t now = time(NULL);
	if (!json_is_integer(exp) || json_integer_value(exp) + CLOCK_SKEW_S < now)
		return 0;
	if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) - CLOCK_SKEW_S > now))
		return 0;
	return 1;
}

static int audience_has(const json_t *aud, const char *want)
{
	size_t i;
	json_t *v;
	if (json_is_string(aud))
		return !strcasecmp(json_string_value(aud), want);
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && !strcasecmp(json_string_value(v), want))
			return 1;
	return 0;
}

/* Verifies a certificate-signed client assertion. Returns 0, or -1 with resp filled. */
static int check_certificate_assertion(struct armsim_request *req, struct armsim_response *resp,
				       const struct world_principal *p, const char *jwt)
{
	EVP_PKEY *key = token_key_from_certificate(p->certificate);
	json_t *claims = NULL, *aud;
	struct strbuf url = STRBUF_INIT, alt = STRBUF_INIT;
	int ret = -1;
	if (!p->certificate || !key) {
		entra_error(req, resp, 401, "invalid_client", 700027,
			    "Client assertion failed signature validation. No certificate is registered for app '%s'.",
			    p->client_id);
		goto out;
	}
	if (token_verify(jwt, key, NULL, &claims) != TOKEN_OK) {
		entra_error(req, resp, 401, "invalid_client", 700027,
			    "Client assertion failed signature validation.");
		goto out;
	}
	if (!json_is_string(json_object_get(claims, "sub")) ||
	    strcasecmp(json_string_value(json_object_get(claims, "sub")), p->client_id)) {
		entra_error(req, resp, 401, "invalid_client", 700021,
			    "Client assertion application identifier doesn't match 'client_id' parameter.");
		goto out;
	}
	endpoint_url(req, &url);
	strbuf_addf(&alt, "https://login.microsoftonline.com/%s/oauth2/v2.0/token", req->world->tenant_id);
	aud = json_object_get(claims, "aud");
	if (!audience_has(aud, url.buf) && !audience_has(aud, alt.buf)) {
		entra_error(req, resp, 401, "invalid_client", 50027,
			    "JWT token is invalid or malformed: its audience is not '%s'.", url.buf);
		goto out;
	}
	if (!assertion_time_ok(claims)) {
		entra_error(req, resp, 401, "invalid_client", 700024,
			    "Client assertion is not within its valid time range.");
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_free(key);
	json_decref(claims);
	strbuf_release(&url);
	strbuf_release(&alt);
	return ret;
}

/* Verifies a federated (workload identity) token against the principal's credentials. */
static int check_federated_assertion(struct armsim_request *req, struct armsim_response *resp,
				     const struct world_principal *p, const char *jwt,
				     const json_t *peeked)
{
	const char *iss = json_string_value(json_object_get(peeked, "iss"));
	const char *sub = json_string_value(json_object_get(peeked, "sub"));
	json_t *cred, *claims = NULL;
	size_t i;
	json_array_foreach(p->federated, i, cred) {
		const char *ci = json_string_value(json_object_get(cred, "issuer"));
		const char *cs = json_string_value(json_object_get(cred, "subject"));
		const char *ca = json_string_value(json_object_get(cred, "audience"));
		EVP_PKEY *key;
		int ok;
		if (!ci || !cs || !iss || !sub || strcmp(ci, iss) || strcmp(cs, sub))
			continue;
		key = token_key_from_certificate(json_string_value(json_object_get(cred, "certificate")));
		ok = key && token_verify(jwt, key, NULL, &claims) == TOKEN_OK;
		EVP_PKEY_free(key);
		if (!ok) {
			entra_error(req, resp, 401, "invalid_client", 700027,
				    "Client assertion failed signature validation.");
			return -1;
		}
		if (!audience_has(json_object_get(claims, "aud"), ca ? ca : EXCHANGE_AUDIENCE)) {
			json_decref(claims);
			entra_error(req, resp, 401, "invalid_client", 700212,
				    "No matching federated identity record found for presented assertion audience '%s'.",
				    json_is_string(json_object_get(peeked, "aud"))
					    ? json_string_value(json_object_get(peeked, "aud")) : "");
			return -1;
		}
		if (!assertion_time_ok(claims)) {
			json_decref(claims);
			entra_error(req, resp, 400, "invalid_request", 700024,
				    "Client assertion is not within its valid time range.");
			return -1;
		}
		json_decref(claims);
		return 0;
	}
	entra_error(req, resp, 400, "invalid_request", 70021,
		    "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'.",
		    iss ? iss : "", sub ? sub : "");
	return -1;
}

/* Signs an access token for principal p and resource. Returns the token (new). */
static char *issue(struct armsim_request *req, const struct world_principal *p,
		   const char *resource, enum flavour fl, time_t *exp_out)
{
	time_t now = time(NULL), exp = now + req->world->knobs.token_lifetime_s;
	struct strbuf iss = STRBUF_INIT;
	char jti[37];
	json_t *claims;
	char *token;
	if (fl == FLAVOUR_ADFS)
		strbuf_addf(&iss, "%s/adfs", req->base_url);
	else if (fl == FLAVOUR_V2)
		strbuf_addf(&iss, "%s/%s/v2.0", req->base_url, req->world->tenant_id);
	else
		strbuf_addf(&iss, "https://sts.windows.net/%s/", req->world->tenant_id);
	/* handlers run under the read lock: the world's GUID generator is not ours to advance */
	{
		uint64_t n = atomic_fetch_add(&jti_counter, 1) + (uint64_t)now * 1000003u;
		snprintf(jti, sizeof(jti), "%08llx-0000-4000-8000-%012llx",
			 (unsigned long long)(n >> 32) & 0xffffffffULL,
			 (unsigned long long)n & 0xffffffffffffULL);
	}
	claims = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			   "aud", resource, "iss", iss.buf, "iat", (json_int_t)now, "nbf",
			   (json_int_t)now, "exp", (json_int_t)exp, "appid", p->client_id, "azp",
			   p->client_id, "oid", p->object_id, "sub", p->object_id, "tid",
			   req->world->tenant_id, "idtyp", "app", "ver",
			   fl == FLAVOUR_V2 ? "2.0" : "1.0", "jti", jti);
	token = token_sign(armsim_signer(req->sim), claims);
	json_decref(claims);
	strbuf_release(&iss);
	*exp_out = exp;
	return token;
}

/* Splits HTTP Basic credentials into client id and secret. */
static int basic_credentials(const char *header, struct strbuf *id, struct strbuf *secret)
{
	struct strbuf raw = STRBUF_INIT;
	char *colon;
	int ret = -1;
	if (!header || strncasecmp(header, "Basic ", 6))
		return -1;
	if (token_base64url_decode(&raw, header + 6, strlen(header + 6)))
		goto out;
	colon = strchr(raw.buf, ':');
	if (!colon)
		goto out;
	strbuf_add(id, raw.buf, (size_t)(colon - raw.buf));
	strbuf_addstr(secret, colon + 1);
	ret = 0;
out:
	strbuf_release(&raw);
	return ret;
}

static int secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = la != lb;
	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return !diff;
}

void ops_identity_token(struct armsim_request *req, struct armsim_response *resp)
{
	const char *tenant = armsim_request_param(req, "tenant");
	enum flavour fl = !tenant ? FLAVOUR_ADFS : strstr(req->path, "/v2.0/") ? FLAVOUR_V2 : FLAVOUR_V1;
	struct strbuf grant = STRBUF_INIT, client_id = STRBUF_INIT, secret = STRBUF_INIT;
	struct strbuf assertion = STRBUF_INIT, assertion_type = STRBUF_INIT, scope = STRBUF_INIT;
	struct strbuf resource_arg = STRBUF_INIT, resource = STRBUF_INIT;
	struct world_principal *p;
	json_t *peeked = NULL;
	char *token = NULL;
	time_t exp;
	int has_secret;

	if (tenant && strcasecmp(tenant, req->world->tenant_id)) {
		entra_error(req, resp, 400, "invalid_request", 90002,
			    "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
			    tenant);
		goto out;
	}
	form_get(req->raw_body, "grant_type", &grant);
	if (strcmp(grant.buf, "client_credentials")) {
		entra_error(req, resp, 400, "unsupported_grant_type", 70003,
			    "The app requested an unsupported grant type '%s'.", grant.buf);
		goto out;
	}
	form_get(req->raw_body, "client_id", &client_id);
	has_secret = form_get(req->raw_body, "client_secret", &secret);
	if (!has_secret && !basic_credentials(armsim_request_header(req, "Authorization"),
					      client_id.len ? &assertion : &client_id, &secret)) {
		has_secret = 1;
		strbuf_reset(&assertion);
	}
	if (!client_id.len) {
		entra_error(req, resp, 400, "invalid_request", 900144,
			    "The request body must contain the following parameter: 'client_id'.");
		goto out;
	}
	form_get(req->raw_body, "scope", &scope);
	form_get(req->raw_body, "resource", &resource_arg);
	if (requested_resource(scope.buf, resource_arg.buf, &resource)) {
		entra_error(req, resp, 400, "invalid_scope", 1002012,
			    "The provided value for scope '%s' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
			    scope.buf);
		goto out;
	}
	if (!resource_known(resource.buf, req->base_url)) {
		entra_error(req, resp, 400, "invalid_resource", 500011,
			    "The resource principal named %s was not found in the tenant named %s.",
			    resource.buf, req->world->tenant_id);
		goto out;
	}
	p = world_principal_by_client_id(req->world, client_id.buf);
	if (!p) {
		entra_error(req, resp, 400, "unauthorized_client", 700016,
			    "Application with identifier '%s' was not found in the directory '%s'.",
			    client_id.buf, req->world->tenant_id);
		goto out;
	}
	form_get(req->raw_body, "client_assertion", &assertion);
	form_get(req->raw_body, "client_assertion_type", &assertion_type);
	if (assertion.len) {
		const char *iss;
		if (strcmp(assertion_type.buf, ASSERTION_TYPE)) {
			entra_error(req, resp, 400, "invalid_request", 90014,
				    "The request body must contain the following parameter: 'client_assertion_type'.");
			goto out;
		}
		peeked = token_peek_claims(assertion.buf);
		iss = json_string_value(json_object_get(peeked, "iss"));
		if (!peeked || !iss) {
			entra_error(req, resp, 401, "invalid_client", 50027,
				    "JWT token is invalid or malformed.");
			goto out;
		}
		if (!strcasecmp(iss, p->client_id)) {
			if (check_certificate_assertion(req, resp, p, assertion.buf))
				goto out;
		} else if (check_federated_assertion(req, resp, p, assertion.buf, peeked)) {
			goto out;
		}
	} else if (has_secret) {
		if (!p->secret || !secret_equal(secret.buf, p->secret)) {
			entra_error(req, resp, 401, "invalid_client", 7000215,
				    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.",
				    p->client_id);
			goto out;
		}
	} else {
		entra_error(req, resp, 401, "invalid_client", 7000218,
			    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
		goto out;
	}
	token = issue(req, p, resource.buf, fl, &exp);
	if (!token) {
		entra_error(req, resp, 500, "server_error", 50000, "The token could not be signed.");
		goto out;
	}
	if (fl == FLAVOUR_V2) {
		armsim_response_json(resp, 200, json_pack("{s:s, s:I, s:I, s:s}", "token_type",
							  "Bearer", "expires_in",
							  (json_int_t)(exp - time(NULL)),
							  "ext_expires_in", (json_int_t)(exp - time(NULL)),
							  "access_token", token));
	} else {
		char exp_s[24], nbf_s[24];
		snprintf(exp_s, sizeof(exp_s), "%lld", (long long)exp);
		snprintf(nbf_s, sizeof(nbf_s), "%lld", (long long)time(NULL));
		armsim_response_json(resp, 200, json_pack(
			"{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "token_type", "Bearer", "expires_in",
			(json_int_t)(exp - time(NULL)), "ext_expires_in", (json_int_t)(exp - time(NULL)),
			"expires_on", exp_s, "not_before", nbf_s, "resource", resource.buf,
			"access_token", token));
	}
	armsim_response_header(resp, "Cache-Control", "no-store, no-cache");
out:
	free(token);
	json_decref(peeked);
	strbuf_release(&grant);
	strbuf_release(&client_id);
	strbuf_release(&secret);
	strbuf_release(&assertion);
	strbuf_release(&assertion_type);
	strbuf_release(&scope);
	strbuf_release(&resource_arg);
	strbuf_release(&resource);
}

void ops_identity_openid(struct armsim_request *req, struct armsim_response *resp)
{
	const char *tenant = armsim_request_param(req, "tenant");
	struct strbuf issuer = STRBUF_INIT, base = STRBUF_INIT;
	if (tenant && strcasecmp(tenant, req->world->tenant_id) && strcasecmp(tenant, "common") &&
	    strcasecmp(tenant, "organizations")) {
		entra_error(req, resp, 400, "invalid_tenant", 90002, "Tenant '%s' not found.", tenant);
		goto out;
	}
	if (tenant) {
		strbuf_addf(&base, "%s/%s", req->base_url, req->world->tenant_id);
		strbuf_addf(&issuer, "%s/v2.0", base.buf);
	} else {
		strbuf_addf(&base, "%s/adfs", req->base_url);
		strbuf_addstr(&issuer, base.buf);
	}
	armsim_response_json(resp, 200, json_pack(
		"{s:s, s:s+, s:s+, s:s+, s:s+, s:[s,s,s], s:[s], s:[s], s:[s,s,s], s:[s,s,s,s], s:[s,s]}",
		"issuer", issuer.buf,
		"authorization_endpoint", base.buf, tenant ? "/oauth2/v2.0/authorize" : "/oauth2/authorize",
		"token_endpoint", base.buf, tenant ? "/oauth2/v2.0/token" : "/oauth2/token",
		"device_authorization_endpoint", base.buf, tenant ? "/oauth2/v2.0/devicecode" : "/oauth2/devicecode",
		"jwks_uri", base.buf, tenant ? "/discovery/v2.0/keys" : "/discovery/keys",
		"response_types_supported", "code", "id_token", "token id_token",
		"subject_types_supported", "pairwise",
		"id_token_signing_alg_values_supported", "RS256",
		"token_endpoint_auth_methods_supported", "client_secret_post", "private_key_jwt",
		"client_secret_basic",
		"scopes_supported", "openid", "profile", "email", "offline_access",
		"grant_types_supported", "client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"));
out:
	strbuf_release(&issuer);
	strbuf_release(&base);
}

void ops_identity_jwks(struct armsim_request *req, struct armsim_response *resp)
{
	json_t *jwks = token_signer_jwks(armsim_signer(req->sim));
	if (!jwks) {
		armsim_response_error(resp, 500, "InternalServerError", "no signing key");
		return;
	}
	armsim_response_json(resp, 200, jwks);
}

void ops_identity_msi(struct armsim_request *req, struct armsim_response *resp)
{
	const json_t *mi = req->world->managed_identity;
	const char *header = armsim_request_header(req, "X-IDENTITY-HEADER");
	const char *want = json_string_value(json_object_get(mi, "identityHeader"));
	const char *resource = armsim_request_query(req, "resource");
	const char *client_id = armsim_request_query(req, "client_id");
	const char *principal_id = armsim_request_query(req, "principal_id");
	struct world_principal *p;
	char *token;
	time_t exp;
	char exp_s[24];
	if (!mi || !want) {
		armsim_response_json(resp, 400, json_pack("{s:i, s:s}", "statusCode", 400, "message",
							  "No managed identity is configured for this app."));
		return;
	}
	if (!header || !secret_equal(header, want)) {
		armsim_response_json(resp, 401, json_pack("{s:i, s:s}", "statusCode", 401, "message",
							  "The X-IDENTITY-HEADER header is missing or wrong."));
		return;
	}
	if (!resource || !resource_known(resource, req->base_url)) {
		armsim_response_json(resp, 400, json_pack("{s:i, s:s}", "statusCode", 400, "message",
							  "The resource is missing or unknown."));
		return;
	}
	if (principal_id)
		p = world_principal_by_object_id(req->world, principal_id);
	else
		p = world_principal_by_client_id(req->world, client_id ? client_id
			: json_string_value(json_object_get(mi, "clientId")));
	if (!p) {
		armsim_response_json(resp, 400, json_pack("{s:i, s:s}", "statusCode", 400, "message",
							  "No managed identity matches the request."));
		return;
	}
	token = issue(req, p, resource, FLAVOUR_V1, &exp);
	snprintf(exp_s, sizeof(exp_s), "%lld", (long long)exp);
	armsim_response_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}", "access_token", token,
						  "expires_on", exp_s, "resource", resource,
						  "token_type", "Bearer", "client_id", p->client_id));
	free(token);
}
