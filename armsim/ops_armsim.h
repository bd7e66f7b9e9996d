/*
 * ops_armsim — armsim's own introspection endpoints (unauthenticated, loopback only):
 * GET /_armsim/stats, GET /_armsim/world, POST /_armsim/reset.
 */
#ifndef ARMSIM_OPS_ARMSIM_H
#define ARMSIM_OPS_ARMSIM_H
#include "armsim/routes.h"

route_fn ops_armsim_stats, ops_armsim_world, ops_armsim_reset;
#endif
