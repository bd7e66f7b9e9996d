/*
 * ops_identity — Entra ID as armsim plays it: token endpoints (v2, v1, ADFS-style), OpenID
 * discovery, signing keys, and the App Service managed-identity endpoint.
 *
 * Grants: client_credentials with client_secret (form or HTTP Basic), with client_assertion (an
 * RS256 JWT signed with the principal's registered certificate: iss = sub = client id, aud =
 * this token endpoint, checked for signature, audience and time), or with a federated token
 * (iss/sub match one of the principal's federatedCredentials, aud api://AzureADTokenExchange,
 * signed with that credential's certificate). Errors are Entra's {"error","error_description",
 * "error_codes",...} with its AADSTS codes.
 */
#ifndef ARMSIM_OPS_IDENTITY_H
#define ARMSIM_OPS_IDENTITY_H
#include "armsim/routes.h"

route_fn ops_identity_token;   /* POST /{tenant}/oauth2/v2.0/token, /{tenant}/oauth2/token, /adfs/oauth2/token */
route_fn ops_identity_openid;  /* GET .well-known/openid-configuration (tenant and /adfs) */
route_fn ops_identity_jwks;    /* GET discovery keys */
route_fn ops_identity_msi;     /* GET /msi/token (IDENTITY_ENDPOINT, X-IDENTITY-HEADER) */
#endif
