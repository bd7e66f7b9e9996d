/*
 * http — one armsim request and its response, as handlers see them.
 *
 * The server (server.c) fills a struct armsim_request from libmicrohttpd, the route table
 * (routes.c) picks a handler, and the handler fills a struct armsim_response. Handlers never
 * touch libmicrohttpd: everything they need (query arguments, headers, the parsed JSON body,
 * path parameters, the authenticated caller, the world) is reached through these functions.
 */
#ifndef ARMSIM_HTTP_H
#define ARMSIM_HTTP_H
#include <jansson.h>

#include "lib/strbuf.h"

struct armsim;
struct world;
struct world_principal;

#define ROUTE_MAX_PARAMS 8

struct armsim_request {
	struct armsim *sim;          /* the server (borrowed) */
	struct world *world;         /* locked by the dispatcher for the handler's duration */
	void *connection;            /* struct MHD_Connection (opaque to handlers) */
	const char *method;          /* "GET", ... */
	const char *path;            /* URL path, percent-decoded, no query */
	const char *api_version;     /* ?api-version= or NULL */
	const char *base_url;        /* "https://127.0.0.1:PORT" as the client addressed us */
	const char *raw_body;        /* request body (NUL-terminated), "" when none */
	size_t raw_len;
	json_t *body;                /* parsed JSON body, NULL when empty or not JSON (borrowed) */
	int body_invalid;            /* a body was sent but is not valid JSON */
	struct world_principal *caller; /* authenticated principal; NULL on open routes */
	const char *token_audience;  /* the caller's token audience */
	const char *route_name;      /* operation name (stats) */
	const char *param_names[ROUTE_MAX_PARAMS]; /* path parameters captured by the route */
	char *param_values[ROUTE_MAX_PARAMS];      /* owned by the dispatcher */
	int nr_params;
};

struct armsim_header {
	char *name, *value; /* owned */
};

struct armsim_response {
	unsigned status;             /* HTTP status; 0 until a handler sets one */
	json_t *body;                /* JSON body (owned) or NULL */
	struct strbuf text;          /* a non-JSON body (used when body is NULL) */
	const char *content_type;    /* default "application/json; charset=utf-8" */
	struct armsim_header *headers;
	size_t nr_headers, alloc_headers;
	int is_write;                /* counts as a write in /_armsim/stats */
};

/* A query argument (decoded), or NULL. Borrowed, valid during the request. */
const char *armsim_request_query(const struct armsim_request *req, const char *key);
/*
 * Appends the request's query arguments (re-encoded) to sb, starting with '?', leaving out
 * `skip` (e.g. "$skipToken"). Used to build nextLink URLs.
 */
void armsim_request_add_query(const struct armsim_request *req, struct strbuf *sb,
			      const char *skip);
/* A request header (any case), or NULL. Borrowed. */
const char *armsim_request_header(const struct armsim_request *req, const char *name);
/* A path parameter captured by the route pattern ("{name}"), or NULL. Borrowed. */
const char *armsim_request_param(const struct armsim_request *req, const char *name);

void armsim_response_init(struct armsim_response *resp);
void armsim_response_release(struct armsim_response *resp);
/* Sets status and a JSON body (stolen; may be NULL for an empty body). */
void armsim_response_json(struct armsim_response *resp, unsigned status, json_t *body);
/* Adds a header (both strings copied); a header of the same name is replaced. */
void armsim_response_header(struct armsim_response *resp, const char *name, const char *value);
/* The value of a header already set, or NULL (borrowed). */
const char *armsim_response_get_header(const struct armsim_response *resp, const char *name);
/*
 * An ARM error: status with {"error":{"code":code,"message":...}}. Replaces any body set
 * before. Returns the error object (borrowed) so callers can add target/details/additionalInfo.
 */
json_t *armsim_response_error(struct armsim_response *resp, unsigned status, const char *code,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#endif
