/*
 * http — response building and path parameters (see http.h).
 *
 * Query and header lookups live in server.c, beside libmicrohttpd; nothing here knows it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/http.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

const char *armsim_request_param(const struct armsim_request *req, const char *name)
{
	int i;
	for (i = 0; i < req->nr_params; i++)
		if (!strcmp(req->param_names[i], name))
			return req->param_values[i];
	return NULL;
}

void armsim_request_params_release(struct armsim_request *req)
{
	int i;
	for (i = 0; i < req->nr_params; i++)
		free(req->param_values[i]);
	req->nr_params = 0;
}

void armsim_response_init(struct armsim_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	strbuf_init(&resp->text, 0);
}

void armsim_response_release(struct armsim_response *resp)
{
	size_t i;
	json_decref(resp->body);
	strbuf_release(&resp->text);
	for (i = 0; i < resp->nr_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}

void armsim_response_json(struct armsim_response *resp, unsigned status, json_t *body)
{
	json_decref(resp->body);
	resp->status = status;
	resp->body = body;
}

void armsim_response_header(struct armsim_response *resp, const char *name, const char *value)
{
	size_t i;
	for (i = 0; i < resp->nr_headers; i++)
		if (!strcasecmp(resp->headers[i].name, name)) {
			free(resp->headers[i].value);
			resp->headers[i].value = xstrdup(value);
			return;
		}
	ALLOC_GROW(resp->headers, resp->nr_headers + 1, resp->alloc_headers);
	resp->headers[resp->nr_headers].name = xstrdup(name);
	resp->headers[resp->nr_headers].value = xstrdup(value);
	resp->nr_headers++;
}

const char *armsim_response_get_header(const struct armsim_response *resp, const char *name)
{
	size_t i;
	for (i = 0; i < resp->nr_headers; i++)
		if (!strcasecmp(resp->headers[i].name, name))
			return resp->headers[i].value;
	return NULL;
}

json_t *armsim_response_error(struct armsim_response *resp, unsigned status, const char *code,
			      const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	json_t *error;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error = json_pack("{s:s, s:s}", "code", code, "message", msg.buf);
	armsim_response_json(resp, status, json_pack("{s:o}", "error", error));
	strbuf_release(&msg);
	return error;
}
