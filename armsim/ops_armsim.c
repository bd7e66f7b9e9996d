/*
 * ops_armsim — introspection handlers (see ops_armsim.h).
 */
#include "armsim/ops_armsim.h"
#include "armsim/server.h"
#include "armsim/world.h"
#include "lib/banned.h"

void ops_armsim_stats(struct armsim_request *req, struct armsim_response *resp)
{
	armsim_response_json(resp, 200, armsim_stats_json(req->sim));
}

void ops_armsim_world(struct armsim_request *req, struct armsim_response *resp)
{
	armsim_response_json(resp, 200, world_to_json(req->world));
}

void ops_armsim_reset(struct armsim_request *req, struct armsim_response *resp)
{
	struct strbuf err = STRBUF_INIT;
	if (armsim_reset(req->sim, &err))
		armsim_response_error(resp, 500, "ResetFailed", "cannot reload the world: %s", err.buf);
	else
		armsim_response_json(resp, 200, json_pack("{s:s}", "status", "reset"));
	strbuf_release(&err);
}
