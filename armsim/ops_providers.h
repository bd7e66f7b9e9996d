/*
 * ops_providers — resource provider registration per subscription (Microsoft.Resources).
 *
 *   GET  /subscriptions/{id}/providers                      every namespace armsim serves
 *   GET  /subscriptions/{id}/providers/{namespace}          one, with its registrationState
 *   POST /subscriptions/{id}/providers/{namespace}/register   → Registering, then Registered
 *   POST /subscriptions/{id}/providers/{namespace}/unregister → Unregistered
 *
 * A namespace is Registered unless the world holds a resource of type WT_PROVIDER with id
 * /subscriptions/{id}/providers/{namespace} whose registrationState says otherwise (world files
 * and `armsim world --generate unregistered=F` write them). Register moves it to Registering;
 * it reads as Registered once the providerRegistrationDelayMs knob (simulated) has passed
 * since. Registering needs `{namespace}/register/action` at the subscription (Owner and
 * Contributor have it), as in Azure; reading needs any role there.
 *
 * While a namespace is not Registered, every ARM request in that subscription whose path ends
 * in that namespace's resources (remediations, policyStates, sites, ...) answers 409
 * MissingSubscriptionRegistration with Azure's message and details (ops_providers_guard, which
 * the dispatcher calls after RBAC).
 */
#ifndef ARMSIM_OPS_PROVIDERS_H
#define ARMSIM_OPS_PROVIDERS_H
#include "armsim/routes.h"

#define WT_PROVIDER "Microsoft.Resources/providers"

route_fn ops_provider_list, ops_provider_get, ops_provider_register, ops_provider_unregister;

/*
 * The registration state of namespace in subscription sub now: "Registered", "Registering",
 * "NotRegistered" or "Unregistered" (static strings). World lock held.
 */
const char *ops_provider_state(const struct world *w, const char *sub, const char *ns);

/*
 * For a request already authorised: when its path is under /subscriptions/{id} and names a
 * resource of a namespace not Registered there, fills a 409 MissingSubscriptionRegistration
 * and returns -1; else 0. The provider's own paths (get, register) are never refused.
 */
int ops_providers_guard(struct armsim_request *req, struct armsim_response *resp);
#endif
