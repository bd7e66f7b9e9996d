/*
 * scripted_server — a libmicrohttpd server on 127.0.0.1 for unit tests that need real HTTP
 * answers (the engine, the ARM layer, the token endpoints) without armsim.
 *
 * Header-only on purpose: the runner builds every tests/unit/test_*.c on its own, and only the
 * tests include this. A test supplies one function that answers each request; the server
 * collects the request body first. One thread per connection, so a slow answer holds only its
 * own connection.
 */
#ifndef SCRIPTED_SERVER_H
#define SCRIPTED_SERVER_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "lib/xalloc.h"

/* Answers one request; body is the whole request body (borrowed). */
typedef enum MHD_Result scripted_fn(struct MHD_Connection *conn, const char *url,
				    const char *method, const struct strbuf *body);

static scripted_fn *scripted_answer;

/*
 * Queues a response: status, body (copied), then NULL-terminated pairs of header name and value.
 * Content-Type is application/json.
 */
static enum MHD_Result scripted_reply(struct MHD_Connection *conn, unsigned status,
				      const char *body, ...)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	const char *name;
	va_list ap;
	MHD_add_response_header(r, "Content-Type", "application/json");
	va_start(ap, body);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		MHD_add_response_header(r, name, value);
	}
	va_end(ap);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result scripted_handler(void *cls, struct MHD_Connection *conn, const char *url,
					const char *method, const char *version,
					const char *upload, size_t *upload_size, void **con_cls)
{
	struct strbuf *body = *con_cls;
	(void)cls; (void)version;
	if (!body) {
		body = xcalloc(1, sizeof(*body));
		strbuf_init(body, 0);
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_size) {
		strbuf_add(body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return scripted_answer(conn, url, method, body);
}

static void scripted_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct strbuf *body = *con_cls;
	(void)cls; (void)conn; (void)toe;
	if (body) {
		strbuf_release(body);
		free(body);
	}
	*con_cls = NULL;
}

/* Starts the server on a free loopback port; its URL goes to base_url. NULL on failure. */
static struct MHD_Daemon *scripted_start(scripted_fn *answer, char *base_url, size_t size)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scripted_answer = answer;
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
			     NULL, NULL, scripted_handler, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)200,
			     MHD_OPTION_NOTIFY_COMPLETED, scripted_completed, NULL, MHD_OPTION_END);
	if (!d)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base_url, size, "http://127.0.0.1:%u", (unsigned)info->port);
	return d;
}

#endif
