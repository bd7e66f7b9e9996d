/*
 * credential — access tokens for Resource Manager, the way Azure's own SDKs get them.
 *
 * Kinds: client secret (AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, or
 * [auth] client_secret_file), client certificate (AZURE_CLIENT_CERTIFICATE_PATH or
 * [auth] client_certificate_file: one PEM holding certificate and private key; an RS256 client
 * assertion carrying x5t#S256), workload identity (AZURE_FEDERATED_TOKEN_FILE with
 * AZURE_CLIENT_ID and AZURE_TENANT_ID), managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER,
 * else the instance metadata endpoint), and the Azure CLI (`az account get-access-token`
 * run without a shell). [auth] method = auto tries them in DefaultAzureCredential order:
 * environment (secret, then certificate), workload identity, managed identity, Azure CLI; the
 * first one that is configured is used, and its failure is reported (not masked by the next).
 *
 * Tokens are cached in memory and refreshed five minutes before they expire (halfway through
 * a shorter life); every secret, assertion and token is registered with msg_add_secret the
 * moment it is read or received, so no message can show it.
 *
 * Token requests are synchronous (one short request per hour per credential); they use their
 * own curl handle with the same TLS rules as the engine (verification on, ca_file added,
 * http:// only to loopback).
 */
#ifndef CREDENTIAL_H
#define CREDENTIAL_H

#include "lib/cloud.h"
#include "lib/config.h"
#include "lib/strbuf.h"

struct credential;

enum credential_result {
	CREDENTIAL_OK = 0,
	CREDENTIAL_ERR_UNAVAILABLE, /* this kind is not configured here (auto moves on) */
	CREDENTIAL_ERR_CONFIG,      /* configured but unusable: missing/unreadable file, bad PEM,
				     * expired certificate, missing tenant or client id */
	CREDENTIAL_ERR_REJECTED,    /* the authority refused it (bad secret, unknown client) */
	CREDENTIAL_ERR_TRANSPORT,   /* the token endpoint could not be reached or answered badly */
};

enum credential_kind {
	CREDENTIAL_CLIENT_SECRET,
	CREDENTIAL_CLIENT_CERTIFICATE,
	CREDENTIAL_WORKLOAD_IDENTITY,
	CREDENTIAL_MANAGED_IDENTITY,
	CREDENTIAL_AZURE_CLI,
};

/*
 * Builds the credential [auth] method names (auto: the first available in chain order).
 * cfg and cloud are borrowed and must outlive the credential. Files named by the config or
 * environment are read here, so a missing file fails now. Returns CREDENTIAL_OK and *out (new,
 * credential_free), or an error with err set to one line naming the credential and the fix,
 * e.g. "client certificate '/x.pem' expired on 2024-01-01: issue a new one and point
 * AZURE_CLIENT_CERTIFICATE_PATH or [auth] client_certificate_file at it".
 */
enum credential_result credential_new(const struct config *cfg, const struct cloud *cloud,
				      struct credential **out, struct strbuf *err);
void credential_free(struct credential *cred);

/* Which kind was chosen, and its human name ("client secret", "Azure CLI", ...). */
enum credential_kind credential_kind(const struct credential *cred);
const char *credential_name(const struct credential *cred);

/*
 * A valid access token for resource (an audience such as cloud->arm_resource): from the cache,
 * or fetched now when missing or within five minutes of expiry. *token is borrowed, valid
 * until the next credential_* call. On failure err names the credential and the fix; the
 * authority's error code (AADSTS...) is kept, its echo of any secret is not.
 */
enum credential_result credential_get_token(struct credential *cred, const char *resource,
					    const char **token, struct strbuf *err);

/*
 * Gets a token for resource now, before any resource request, so that a credential that
 * cannot sign in is reported once. On failure err holds the whole chain, one line per method:
 * why each was skipped (env var not set, token file missing, endpoint not present, az not on
 * PATH), the one that failed and why, the ones never tried, then "fix: ..." for the method
 * that failed. credential_new's own failures use the same layout.
 */
enum credential_result credential_check(struct credential *cred, const char *resource,
					struct strbuf *err);

/* Forgets the cached token (after a 401) so the next get fetches a new one. */
void credential_invalidate(struct credential *cred);

#endif
