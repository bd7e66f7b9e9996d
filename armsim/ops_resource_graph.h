/*
 * ops_resource_graph — Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources.
 *
 * The request and response follow the REST spec (api-version 2021-03-01, 2022-10-01,
 * 2024-04-01): QueryRequest {subscriptions | managementGroups, query, options {$top, $skip,
 * $skipToken, resultFormat, allowPartialScopes}, facets}, QueryResponse {totalRecords, count,
 * resultTruncated ("true"/"false"), $skipToken, data (objectArray or table), facets}.
 * The query runs in armsim's KQL subset (kql.h) over the resources the caller may read in the
 * scope, each as ARG shows it (lower-case type, resourceGroup, subscriptionId, tenantId,
 * properties as GET shows them). A write shows after the world's resourceGraphLagMs knob
 * (simulated); what the world held when Resource Graph was first asked shows at once. Each principal has its own quota (resourceGraphQuota queries per
 * resourceGraphQuotaWindowMs), announced in x-ms-user-quota-remaining and
 * x-ms-user-quota-resets-after (hh:mm:ss) and enforced with 429 RateLimiting.
 * Pages after the first are served from the result of the first (kept a while by $skipToken),
 * as ARG does; a result without an `id` column cannot be paged and says resultTruncated "true".
 */
#ifndef ARMSIM_OPS_RESOURCE_GRAPH_H
#define ARMSIM_OPS_RESOURCE_GRAPH_H
#include "armsim/routes.h"

route_fn ops_resource_graph_query;
#endif
