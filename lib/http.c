/*
 * http — the libcurl multi engine (see http.h).
 *
 * A request is a struct task that lives from submit to its callback. It sits in exactly one
 * place: the ready queue (FIFO, may be sent now), the wait heap (ordered by not-before time:
 * a delay, a backoff, a Retry-After, or its bucket's next token), or the multi handle (in
 * flight, found again through CURLOPT_PRIVATE). The loop moves due tasks from the heap to the
 * queue, starts queued tasks while fewer than `concurrency` are in flight, drains
 * curl_multi_info_read, and waits in epoll no longer than the next not-before time or
 * libcurl's own timer. Timers are tasks without a transfer.
 *
 * libcurl is driven through curl_multi_socket_action, not curl_multi_perform: perform visits
 * every transfer and asks the kernel about each one's socket (a poll() per transfer per
 * wakeup: 250,000 of them for a 50,000-request contain), where socket_action is told which
 * socket is ready and touches only its transfer. libcurl says which sockets to watch through
 * on_socket and when to call it back through on_curl_timer.
 */
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/strcase.h"
#include "lib/msg.h"
#include "lib/ratelimit.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* the instance metadata service (managed identity on a VM) */
#define IMDS_HOST "169.254.169.254"
#define MAX_HEADERS 256

enum task_kind {
	TASK_REQUEST,
	TASK_TIMER,
};

struct task {
	enum task_kind kind;
	struct http_engine *engine;
	unsigned long seq;          /* submission order, breaks heap ties */
	long long submitted;
	long long deadline;
	long long not_before;
	struct task *next;          /* ready queue link */
	struct task *bucket_next;   /* bucket queue link */
	int in_bucket_queue;        /* waits in its bucket's queue */
	int was_paced;              /* counted in stats.paced */
	struct task *flight_prev, *flight_next; /* in-flight list links */

	/* timers */
	void (*timer_fn)(void *data);

	/* requests */
	char *method;
	char *url;
	char **headers;             /* copied "Name: value" lines */
	size_t headers_nr;
	char *body;
	size_t body_len;
	unsigned flags;
	struct ratelimit_bucket *bucket;
	char *ratelimit_header;
	int holds_token;            /* acquired from bucket and not yet returned */
	http_done_fn *done;
	void *data;

	CURL *easy;                 /* while in flight */
	struct curl_slist *slist;   /* this attempt's header list */
	struct strbuf body_in;      /* this attempt's response body */
	struct http_header *resp_headers;
	size_t resp_headers_nr, resp_headers_alloc;
	long status;
	int too_large;
	int auth_retried;
	int has_response;           /* the last attempt got an HTTP status */
	enum http_result preset;    /* != HTTP_OK: complete with this without sending */
	int local;                  /* loopback or the metadata address: never via a proxy */
	unsigned tries;
	struct strbuf error;
	char curl_error[CURL_ERROR_SIZE];
};

/*
 * Requests waiting for one bucket, in order. Only the head sits in the heap (until the
 * bucket's next token); the others wait here, so a thousand paced requests cost one heap
 * entry, not a thousand wake-ups per token.
 */
struct bucket_queue {
	struct task *head, *tail;
	struct bucket_queue *next_queue; /* the engine's list, for freeing */
};

struct http_engine {
	CURLM *multi;
	int epfd;                   /* the sockets libcurl asked us to watch (on_socket) */
	long long curl_timer_at;    /* when libcurl wants socket_action(TIMEOUT); -1: never */
	int return_soon;            /* http_engine_return_soon: end this run after its callbacks */
	http_before_send_fn *before_send; /* http_engine_set_before_send */
	void *before_send_data;
	int concurrency;
	long request_timeout_ms;
	long attempt_timeout_ms;
	long connect_timeout_ms;
	unsigned max_tries;
	long backoff_base_ms;
	long backoff_cap_ms;
	long retry_after_cap_ms;
	size_t body_cap;
	char *user_agent;
	char *ca_bundle;            /* system bundle + ca_file, when ca_file is set */
	size_t ca_bundle_len;
	unsigned long rng;
	http_authorize_fn *authorize;
	http_invalidate_fn *invalidate;
	void *auth_data;

	struct task *ready_head, *ready_tail;
	struct task *flight_head;   /* tasks in the multi handle */
	struct task **heap;
	size_t heap_nr, heap_alloc;
	CURL **pool;                /* idle easy handles, reused for their buffers */
	size_t pool_nr, pool_alloc;
	struct ratelimit *rl;
	struct bucket_queue *queues;
	size_t pending;
	int in_flight;
	unsigned long seq;
	struct http_stats stats;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *http_result_name(enum http_result result)
{
	switch (result) {
	case HTTP_OK: return "ok";
	case HTTP_ERR_TRANSPORT: return "transport error";
	case HTTP_ERR_TIMEOUT: return "timeout";
	case HTTP_ERR_TOO_LARGE: return "response too large";
	case HTTP_ERR_INSECURE: return "insecure url";
	case HTTP_ERR_CANCELLED: return "cancelled";
	case HTTP_ERR_AUTH: return "authentication failed";
	}
	return "unknown";
}

int http_status_is_retryable(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

long http_backoff_ms(unsigned attempt, long base_ms, long cap_ms, unsigned long *state)
{
	unsigned long x = *state ? *state : 88172645463325252UL;
	long ceiling = base_ms;
	unsigned i;
	for (i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	if (ceiling <= 0)
		return 0;
	return (long)(x % (unsigned long)(ceiling + 1));
}

int http_parse_retry_after(const char *value, long long now_s, long *ms)
{
	const char *p = value;
	time_t when;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -1;
	if (isdigit((unsigned char)*p)) {
		char *end;
		long long secs;
		errno = 0;
		secs = strtoll(p, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end || errno)
			return -1;
		if (secs > LONG_MAX / 1000)
			secs = LONG_MAX / 1000;
		*ms = (long)secs * 1000;
		return 0;
	}
	/* only the three HTTP-date forms start with a letter (a weekday name) */
	if (!isalpha((unsigned char)*p))
		return -1;
	when = curl_getdate(p, NULL);
	if (when == (time_t)-1)
		return -1;
	if ((long long)when <= now_s)
		*ms = 0;
	else if ((long long)when - now_s > LONG_MAX / 1000)
		*ms = LONG_MAX / 1000 * 1000;
	else
		*ms = (long)((long long)when - now_s) * 1000;
	return 0;
}

int http_parse_date(const char *value, long long *unix_s)
{
	time_t when;
	while (*value == ' ' || *value == '\t')
		value++;
	if (!isalpha((unsigned char)*value))
		return -1; /* the three forms start with a weekday name */
	when = curl_getdate(value, NULL);
	if (when == (time_t)-1)
		return -1;
	*unix_s = (long long)when;
	return 0;
}

static int host_is_loopback(const char *host)
{
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1"))
		return 1;
	if (!strncmp(host, "127.", 4)) {
		const char *p;
		for (p = host + 4; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '.')
				return 0;
		return 1;
	}
	return 0;
}

/*
 * The URL rule: https://, or http:// to loopback (and, with allow_imds, the metadata address).
 * *local (may be NULL) says whether the host is loopback or the metadata address.
 */
static int check_url(const char *url, int allow_imds, int *local, struct strbuf *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ret = -1;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		strbuf_addf(err, "invalid url '%s'", url);
		goto out;
	}
	if (local)
		*local = host_is_loopback(host) || !strcmp(host, IMDS_HOST);
	if (!strcasecmp(scheme, "https")) {
		ret = 0;
	} else if (!strcasecmp(scheme, "http")) {
		/* the instance metadata service only speaks plain HTTP, on a link-local address;
		 * only the managed-identity token request may go there */
		if (host_is_loopback(host) || (allow_imds && !strcmp(host, IMDS_HOST)))
			ret = 0;
		else
			strbuf_addf(err, "refusing plain http to '%s': use https "
				    "(http:// is allowed only to loopback)", host);
	} else {
		strbuf_addf(err, "unsupported url scheme '%s' in '%s': use https", scheme, url);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

int http_check_url(const char *url, struct strbuf *err)
{
	return check_url(url, 0, NULL, err);
}

int http_check_identity_url(const char *url, struct strbuf *err)
{
	return check_url(url, 1, NULL, err);
}

/* ---- the wait heap ---- */

static int task_before(const struct task *a, const struct task *b)
{
	if (a->not_before != b->not_before)
		return a->not_before < b->not_before;
	return a->seq < b->seq;
}

static void heap_push(struct http_engine *e, struct task *t)
{
	size_t i;
	ALLOC_GROW(e->heap, e->heap_nr + 1, e->heap_alloc);
	i = e->heap_nr++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!task_before(t, e->heap[parent]))
			break;
		e->heap[i] = e->heap[parent];
		i = parent;
	}
	e->heap[i] = t;
}

static struct task *heap_pop(struct http_engine *e)
{
	struct task *top, *last;
	size_t i = 0;
	if (!e->heap_nr)
		return NULL;
	top = e->heap[0];
	last = e->heap[--e->heap_nr];
	while (e->heap_nr) {
		size_t child = 2 * i + 1;
		if (child >= e->heap_nr)
			break;
		if (child + 1 < e->heap_nr && task_before(e->heap[child + 1], e->heap[child]))
			child++;
		if (!task_before(e->heap[child], last))
			break;
		e->heap[i] = e->heap[child];
		i = child;
	}
	if (e->heap_nr)
		e->heap[i] = last;
	return top;
}

static void ready_push(struct http_engine *e, struct task *t)
{
	t->next = NULL;
	if (e->ready_tail)
		e->ready_tail->next = t;
	else
		e->ready_head = t;
	e->ready_tail = t;
}

static void ready_push_front(struct http_engine *e, struct task *t)
{
	t->next = e->ready_head;
	e->ready_head = t;
	if (!e->ready_tail)
		e->ready_tail = t;
}

static struct task *ready_pop(struct http_engine *e)
{
	struct task *t = e->ready_head;
	if (t) {
		e->ready_head = t->next;
		if (!e->ready_head)
			e->ready_tail = NULL;
		t->next = NULL;
	}
	return t;
}

static struct bucket_queue *queue_of(struct http_engine *e, struct ratelimit_bucket *b)
{
	struct bucket_queue *q = ratelimit_data(b);
	if (!q) {
		q = xcalloc(1, sizeof(*q));
		q->next_queue = e->queues;
		e->queues = q;
		ratelimit_set_data(b, q);
	}
	return q;
}

static void queue_append(struct bucket_queue *q, struct task *t)
{
	t->bucket_next = NULL;
	t->in_bucket_queue = 1;
	if (q->tail)
		q->tail->bucket_next = t;
	else
		q->head = t;
	q->tail = t;
}

/* Removes the head t and lets the next waiter try at once. */
static void queue_advance(struct http_engine *e, struct bucket_queue *q, struct task *t)
{
	if (q->head != t)
		return;
	q->head = t->bucket_next;
	if (!q->head)
		q->tail = NULL;
	t->bucket_next = NULL;
	t->in_bucket_queue = 0;
	if (q->head)
		ready_push_front(e, q->head);
}

/*
 * now_ms() truncates, so a not-before of start + delay is reached up to 1 ms before delay has
 * really passed. A task is therefore due only once the clock is strictly past its not-before:
 * a Retry-After (which ARM measures to the millisecond) is never undercut.
 */
static int is_due(const struct task *t, long long now)
{
	return t->not_before < now;
}

long long http_add_ms(long long now, long long delta_ms)
{
	if (delta_ms > 0 && now > LLONG_MAX - delta_ms)
		return LLONG_MAX;
	if (delta_ms < 0 && now < LLONG_MIN - delta_ms)
		return LLONG_MIN;
	return now + delta_ms;
}

/* The not-before of a task delayed by delay_ms from now; 0 (always due) for no delay. */
static long long not_before_after(long long now, long delay_ms)
{
	return delay_ms > 0 ? http_add_ms(now, delay_ms) : 0;
}

static void schedule(struct http_engine *e, struct task *t, long long now)
{
	if (!is_due(t, now))
		heap_push(e, t);
	else
		ready_push(e, t);
}

/* ---- engine lifetime ---- */

static int load_ca_bundle(struct http_engine *e, const char *ca_file, struct strbuf *err)
{
	struct strbuf bundle = STRBUF_INIT;
	CURL *probe = curl_easy_init();
	char *system_path = NULL;
	int ret = -1;

	/* CURLOPT_CAINFO would replace the system bundle; ca_file must add trust, not narrow it */
	if (probe)
		curl_easy_getinfo(probe, CURLINFO_CAINFO, &system_path);
	if (system_path && strbuf_read_file(&bundle, system_path, 16 << 20) < 0)
		strbuf_reset(&bundle); /* no readable system bundle: trust ca_file alone */
	strbuf_addch(&bundle, '\n');
	if (strbuf_read_file(&bundle, ca_file, 16 << 20) < 0) {
		strbuf_addf(err, "cannot read ca_file '%s': %s", ca_file, strerror(errno));
		goto out;
	}
	if (!strstr(bundle.buf, "-----BEGIN CERTIFICATE-----")) {
		strbuf_addf(err, "ca_file '%s' holds no PEM certificate", ca_file);
		goto out;
	}
	e->ca_bundle = strbuf_detach(&bundle, &e->ca_bundle_len);
	ret = 0;
out:
	if (probe)
		curl_easy_cleanup(probe);
	strbuf_release(&bundle);
	return ret;
}

/*
 * libcurl's CURLMOPT_SOCKETFUNCTION: watch s for what it asks (in, out, both) or stop. A
 * socket we watch is marked through curl_multi_assign so the next call knows to modify it;
 * EEXIST and ENOENT are taken in stride because a closed descriptor's number can come back.
 */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_engine *e = userp;
	struct epoll_event ev;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(e->multi, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
	ev.data.fd = s;
	if (epoll_ctl(e->epfd, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) < 0) {
		int op = errno == ENOENT ? EPOLL_CTL_ADD : errno == EEXIST ? EPOLL_CTL_MOD : -1;
		if (op < 0 || epoll_ctl(e->epfd, op, s, &ev) < 0)
			return -1; /* libcurl fails the transfers of this socket */
	}
	if (!socketp)
		curl_multi_assign(e->multi, s, e);
	return 0;
}

/* libcurl's CURLMOPT_TIMERFUNCTION: call socket_action(TIMEOUT) in timeout_ms (-1: never). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_engine *e = userp;
	(void)multi;
	e->curl_timer_at = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

int http_engine_new(const struct http_engine_options *opts, struct http_engine **out,
		    struct strbuf *err)
{
	static const struct http_engine_options defaults;
	struct http_engine *e;

	if (!opts)
		opts = &defaults;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		strbuf_addstr(err, "cannot initialise libcurl");
		return -1;
	}
	e = xcalloc(1, sizeof(*e));
	e->concurrency = opts->concurrency > 0 ? opts->concurrency : 32;
	e->request_timeout_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 600000;
	e->attempt_timeout_ms = opts->attempt_timeout_ms > 0 ? opts->attempt_timeout_ms : 100000;
	e->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	e->max_tries = opts->max_tries ? opts->max_tries : 10;
	e->backoff_base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 500;
	e->backoff_cap_ms = opts->backoff_cap_ms > 0 ? opts->backoff_cap_ms : 30000;
	e->retry_after_cap_ms = opts->retry_after_cap_ms > 0 ? opts->retry_after_cap_ms : 600000;
	e->body_cap = opts->body_cap ? opts->body_cap : (size_t)64 << 20;
	e->user_agent = xstrdup(opts->user_agent ? opts->user_agent : "policyctl/" POLICYCTL_VERSION);
	e->rng = opts->seed ? opts->seed : (unsigned long)now_ms() * 2654435761UL + 1;
	e->authorize = opts->authorize;
	e->invalidate = opts->invalidate;
	e->auth_data = opts->auth_data;
	e->rl = ratelimit_new();
	if (opts->ca_file && load_ca_bundle(e, opts->ca_file, err) < 0)
		goto fail;
	e->multi = curl_multi_init();
	if (!e->multi) {
		strbuf_addstr(err, "cannot create a libcurl multi handle (out of memory?)");
		goto fail;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		strbuf_addf(err, "cannot create an epoll instance: %s", strerror(errno));
		goto fail;
	}
	e->curl_timer_at = -1;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->concurrency + 4);
	curl_multi_setopt(e->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)e->concurrency);
	*out = e;
	return 0;
fail:
	if (e->multi)
		curl_multi_cleanup(e->multi);
	ratelimit_free(e->rl);
	free(e->ca_bundle);
	free(e->user_agent);
	free(e);
	return -1;
}

static void free_response_headers(struct task *t)
{
	size_t i;
	for (i = 0; i < t->resp_headers_nr; i++) {
		free(t->resp_headers[i].name);
		free(t->resp_headers[i].value);
	}
	t->resp_headers_nr = 0;
}

static void task_free(struct task *t)
{
	size_t i;
	if (!t)
		return;
	free(t->method);
	free(t->url);
	for (i = 0; i < t->headers_nr; i++)
		free(t->headers[i]);
	free(t->headers);
	free(t->body);
	free(t->ratelimit_header);
	if (t->slist)
		curl_slist_free_all(t->slist);
	strbuf_release(&t->body_in);
	free_response_headers(t);
	free(t->resp_headers);
	strbuf_release(&t->error);
	free(t);
}

static void release_easy(struct http_engine *e, struct task *t)
{
	if (!t->easy)
		return;
	curl_multi_remove_handle(e->multi, t->easy);
	if (t->flight_prev)
		t->flight_prev->flight_next = t->flight_next;
	else
		e->flight_head = t->flight_next;
	if (t->flight_next)
		t->flight_next->flight_prev = t->flight_prev;
	t->flight_prev = t->flight_next = NULL;
	if (e->pool_nr < (size_t)e->concurrency) {
		ALLOC_GROW(e->pool, e->pool_nr + 1, e->pool_alloc);
		e->pool[e->pool_nr++] = t->easy;
	} else {
		curl_easy_cleanup(t->easy);
	}
	t->easy = NULL;
	e->in_flight--;
	if (t->slist) {
		curl_slist_free_all(t->slist);
		t->slist = NULL;
	}
}

static void complete(struct http_engine *e, struct task *t, enum http_result result)
{
	struct http_response resp;

	if (t->holds_token) {
		ratelimit_abandon(t->bucket);
		t->holds_token = 0;
	}
	if (t->in_bucket_queue)
		queue_advance(e, ratelimit_data(t->bucket), t);
	memset(&resp, 0, sizeof(resp));
	resp.result = result;
	resp.status = t->has_response ? t->status : 0;
	resp.body = t->body_in;
	resp.headers = t->resp_headers;
	resp.headers_nr = t->resp_headers_nr;
	resp.error = result == HTTP_OK ? NULL : t->error.buf;
	resp.method = t->method;
	resp.url = t->url;
	resp.tries = t->tries;
	resp.elapsed_ms = (long)(now_ms() - t->submitted);
	e->pending--;
	e->stats.completed++;
	if (result != HTTP_OK)
		e->stats.failed++;
	if (t->done)
		t->done(&resp, t->data);
	/* the callback may have detached the body; take back whatever is left */
	t->body_in = resp.body;
	task_free(t);
}

void http_engine_free(struct http_engine *e)
{
	struct task *t;
	size_t i;
	if (!e)
		return;
	/* cancelled callbacks may submit more; keep draining until nothing is left */
	for (;;) {
		CURLMsg *m;
		int left;
		t = ready_pop(e);
		if (!t)
			t = heap_pop(e);
		if (!t) {
			struct bucket_queue *q;
			for (q = e->queues; q && !q->head; q = q->next_queue)
				;
			if (q) {
				t = q->head;
				q->head = t->bucket_next;
				if (!q->head)
					q->tail = NULL;
				t->in_bucket_queue = 0;
			}
		}
		if (!t) {
			t = e->flight_head;
			if (!t)
				break;
			release_easy(e, t);
		}
		if (t->kind == TASK_TIMER) {
			e->pending--;
			free(t);
			continue;
		}
		strbuf_reset(&t->error);
		strbuf_addstr(&t->error, "cancelled: the client was shut down");
		complete(e, t, HTTP_ERR_CANCELLED);
		while ((m = curl_multi_info_read(e->multi, &left)))
			; /* discard: those handles are gone */
	}
	for (i = 0; i < e->pool_nr; i++)
		curl_easy_cleanup(e->pool[i]);
	free(e->pool);
	free(e->heap);
	while (e->queues) {
		struct bucket_queue *q = e->queues;
		e->queues = q->next_queue;
		free(q);
	}
	curl_multi_cleanup(e->multi);
	close(e->epfd);
	ratelimit_free(e->rl);
	free(e->user_agent);
	free(e->ca_bundle);
	free(e);
}

/* ---- submission ---- */

void http_engine_submit(struct http_engine *e, const struct http_request *req,
			http_done_fn *done, void *data)
{
	struct task *t = xcalloc(1, sizeof(*t));
	long long now = now_ms();
	size_t i;

	t->kind = TASK_REQUEST;
	t->engine = e;
	t->seq = ++e->seq;
	t->submitted = now;
	t->deadline = http_add_ms(now, req->timeout_ms > 0 ? req->timeout_ms : e->request_timeout_ms);
	t->not_before = not_before_after(now, req->delay_ms);
	/* a delay past the deadline wakes the task at its deadline, which fails it unsent */
	if (t->not_before > t->deadline)
		t->not_before = t->deadline;
	t->method = xstrdup(req->method ? req->method : "GET");
	t->url = xstrdup(req->url ? req->url : "");
	for (i = 0; req->headers && req->headers[i]; i++)
		;
	t->headers_nr = i;
	t->headers = xcalloc(i + 1, sizeof(char *));
	for (i = 0; i < t->headers_nr; i++)
		t->headers[i] = xstrdup(req->headers[i]);
	if (req->body) {
		t->body = xmalloc(req->body_len + 1);
		memcpy(t->body, req->body, req->body_len);
		t->body[req->body_len] = '\0';
		t->body_len = req->body_len;
	}
	t->flags = req->flags;
	if (req->bucket) {
		t->bucket = ratelimit_bucket(e->rl, req->bucket);
		if (req->ratelimit_header)
			t->ratelimit_header = xstrdup(req->ratelimit_header);
	}
	t->done = done;
	t->data = data;
	strbuf_init(&t->body_in, 0);
	strbuf_init(&t->error, 0);
	if (check_url(t->url, !!(t->flags & HTTP_IDENTITY_ENDPOINT), &t->local, &t->error) < 0) {
		t->preset = HTTP_ERR_INSECURE;
		t->not_before = 0;
	}
	e->pending++;
	e->stats.requests++;
	schedule(e, t, now);
}

void http_engine_add_timer(struct http_engine *e, long delay_ms, void (*fn)(void *data),
			   void *data)
{
	struct task *t = xcalloc(1, sizeof(*t));
	long long now = now_ms();
	t->kind = TASK_TIMER;
	t->engine = e;
	t->seq = ++e->seq;
	t->submitted = now;
	t->not_before = not_before_after(now, delay_ms);
	t->timer_fn = fn;
	t->data = data;
	e->pending++;
	schedule(e, t, now);
}

size_t http_engine_pending(const struct http_engine *e)
{
	return e->pending;
}

void http_engine_stats(const struct http_engine *e, struct http_stats *out)
{
	*out = e->stats;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	size_t i;
	for (i = 0; i < resp->headers_nr; i++)
		if (!strcasecmp(resp->headers[i].name, name))
			return resp->headers[i].value;
	return NULL;
}

static const char *task_header(const struct task *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->resp_headers_nr; i++)
		if (!strcasecmp(t->resp_headers[i].name, name))
			return t->resp_headers[i].value;
	return NULL;
}

/* ---- one attempt ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct task *t = data;
	size_t len = size * nmemb;
	if (strbuf_add_capped(&t->body_in, ptr, len, t->engine->body_cap) < 0) {
		t->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t on_header(char *buf, size_t size, size_t nmemb, void *data)
{
	struct task *t = data;
	size_t len = size * nmemb, name_len;
	const char *colon, *value, *end;
	struct http_header *h;

	if (len >= 5 && !memcmp(buf, "HTTP/", 5)) {
		/* a new response (after 100 Continue): keep only the final one's headers */
		free_response_headers(t);
		return len;
	}
	colon = memchr(buf, ':', len);
	if (!colon || t->resp_headers_nr >= MAX_HEADERS)
		return len;
	name_len = (size_t)(colon - buf);
	value = colon + 1;
	end = buf + len;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	ALLOC_GROW(t->resp_headers, t->resp_headers_nr + 1, t->resp_headers_alloc);
	h = &t->resp_headers[t->resp_headers_nr++];
	h->name = xstrndup(buf, name_len);
	h->value = xstrndup(value, (size_t)(end - value));
	return len;
}

/* Returns 0; -1 when the authorize hook failed; -2 when libcurl could not take the transfer
 * (t->error says why). Nothing is sent in either failure. */
static int start_attempt(struct http_engine *e, struct task *t, long long now)
{
	struct strbuf auth = STRBUF_INIT;
	long long left = t->deadline - now;
	size_t i;
	CURL *c;
	CURLMcode mc;

	if (t->flags & HTTP_AUTHORIZE && e->authorize) {
		strbuf_reset(&t->error);
		if (e->authorize(e->auth_data, t->url, &auth, &t->error) < 0) {
			strbuf_release(&auth);
			return -1;
		}
	}
	c = e->pool_nr ? e->pool[--e->pool_nr] : curl_easy_init();
	if (!c) {
		strbuf_release(&auth);
		strbuf_reset(&t->error);
		strbuf_addf(&t->error, "%s %s: cannot create a libcurl handle (out of memory?)",
			    t->method, t->url);
		return -2;
	}
	curl_easy_reset(c);
	t->easy = c;
	for (i = 0; i < t->headers_nr; i++)
		t->slist = curl_slist_append(t->slist, t->headers[i]);
	if (auth.len)
		t->slist = curl_slist_append(t->slist, auth.buf);
	strbuf_release(&auth);
	t->slist = curl_slist_append(t->slist, "Expect:");

	strbuf_reset(&t->body_in);
	free_response_headers(t);
	t->status = 0;
	t->has_response = 0;
	t->too_large = 0;
	t->curl_error[0] = '\0';

	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->slist);
	curl_easy_setopt(c, CURLOPT_USERAGENT, e->user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->curl_error);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left < e->attempt_timeout_ms ? (left > 0 ? left : 1)
								: e->attempt_timeout_ms));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* wait for a connection that may multiplex (HTTP/2, negotiated by TLS) rather than open
	 * another; plain HTTP (loopback) cannot, and waiting held back the first connections */
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncmp(t->url, "https:", 6) ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/* http_proxy/https_proxy/all_proxy must never see loopback or metadata traffic (plain
	 * HTTP with the managed-identity header or a bearer token): "" means no proxy */
	if (t->local)
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	/* verification is never turned off; these restate the defaults so nothing can drift */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (e->ca_bundle) {
		struct curl_blob blob = { e->ca_bundle, e->ca_bundle_len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (!strcmp(t->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, t->method);
		if (t->body || !strcmp(t->method, "POST") || !strcmp(t->method, "PUT") ||
		    !strcmp(t->method, "PATCH")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)t->body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body ? t->body : "");
		}
	}
	t->tries++;
	e->stats.attempts++;
	if (t->tries > 1)
		e->stats.retries++;
	e->in_flight++;
	if (e->in_flight > e->stats.peak_in_flight)
		e->stats.peak_in_flight = e->in_flight;
	if (msg_verbosity() >= MSG_VERBOSE)
		msg_debug("> %s %s%s", t->method, t->url,
			  t->tries > 1 ? " (retry)" : "");
	t->flight_prev = NULL;
	t->flight_next = e->flight_head;
	if (e->flight_head)
		e->flight_head->flight_prev = t;
	e->flight_head = t;
	mc = curl_multi_add_handle(e->multi, c);
	if (mc != CURLM_OK) {
		release_easy(e, t);
		strbuf_reset(&t->error);
		strbuf_addf(&t->error, "%s %s: libcurl refused the transfer: %s", t->method, t->url,
			    curl_multi_strerror(mc));
		return -2;
	}
	return 0;
}

int http_code_is_throttling(const char *code)
{
	static const char *const words[] = { "throttl", "toomany", "limit", "quota" };
	size_t i;
	if (!code)
		return 0;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strcase_contains(code, words[i]))
			return 1;
	return 0;
}

/* A 429 whose error code is not about throttling is a real error (treated by its code). */
static int is_throttling_429(const struct task *t)
{
	json_t *root, *code;
	int throttling = 1;

	root = json_loadb(t->body_in.buf, t->body_in.len, 0, NULL);
	code = root ? json_object_get(json_object_get(root, "error"), "code") : NULL;
	if (!code && root)
		code = json_object_get(root, "code");
	if (json_is_string(code))
		throttling = http_code_is_throttling(json_string_value(code));
	json_decref(root);
	return throttling;
}

/* The server's own wait for this response, in ms, or -1 when it gave none. */
static long retry_after_of(const struct task *t)
{
	const char *v;
	long ms;
	if ((v = task_header(t, "retry-after-ms")) || (v = task_header(t, "x-ms-retry-after-ms"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (end != v && !*end && n >= 0)
			return n;
	}
	v = task_header(t, "Retry-After");
	if (v && !http_parse_retry_after(v, (long long)time(NULL), &ms))
		return ms;
	return -1;
}

static int is_idempotent(const struct task *t)
{
	return (t->flags & HTTP_IDEMPOTENT) || strcmp(t->method, "POST") != 0;
}

/* Transport failures where the server cannot have seen the request. */
static int never_reached_server(CURLcode code)
{
	return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
	       code == CURLE_COULDNT_RESOLVE_PROXY;
}

/* Failures that another attempt cannot fix. */
static int is_permanent(CURLcode code)
{
	return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
	       code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT ||
	       code == CURLE_SSL_CERTPROBLEM || code == CURLE_NOT_BUILT_IN;
}

static void finish_attempt(struct http_engine *e, struct task *t, CURLcode code)
{
	long long now = now_ms();
	long wait = -1, ra = -1;
	int retry = 0;

	release_easy(e, t);
	if (code == CURLE_OK) {
		long remaining = -1;
		int throttled = 0;
		t->has_response = 1;
		if (t->status == 429) {
			e->stats.throttled++;
			throttled = is_throttling_429(t);
		} else if (t->status == 408 || t->status >= 500) {
			e->stats.server_errors++;
		}
		if (http_status_is_retryable(t->status))
			ra = retry_after_of(t);
		if (t->holds_token) {
			const char *v = t->ratelimit_header ? task_header(t, t->ratelimit_header) : NULL;
			if (v) {
				char *end;
				remaining = strtol(v, &end, 10);
				if (end == v || remaining < 0)
					remaining = -1;
			}
			/* the bucket never waits longer than a request would */
			ratelimit_complete(t->bucket, now, remaining,
					   throttled ? (ra < 0 ? 1000 : ra > e->retry_after_cap_ms
							? e->retry_after_cap_ms : ra) : -1);
			t->holds_token = 0;
		}
		if (msg_verbosity() >= MSG_VERBOSE)
			msg_debug("< %ld %s %s (%zu bytes, %lld ms)", t->status, t->method, t->url,
				  t->body_in.len, now - t->submitted);
		if (t->status == 401 && (t->flags & HTTP_AUTHORIZE) && !t->auth_retried) {
			t->auth_retried = 1;
			if (e->invalidate)
				e->invalidate(e->auth_data);
			retry = 1;
			wait = 0;
		} else if (t->status == 429) {
			retry = throttled;
		} else if (t->status == 408) {
			retry = 1; /* the server gave up before acting on it */
		} else if (http_status_is_retryable(t->status)) {
			retry = is_idempotent(t);
		}
		if (retry && wait < 0)
			wait = ra;
		strbuf_reset(&t->error);
		strbuf_addf(&t->error, "%s %s: HTTP %ld", t->method, t->url, t->status);
	} else {
		if (t->holds_token) {
			ratelimit_abandon(t->bucket);
			t->holds_token = 0;
		}
		strbuf_reset(&t->error);
		if (t->too_large) {
			strbuf_addf(&t->error, "%s %s: response body larger than %zu bytes",
				    t->method, t->url, e->body_cap);
			complete(e, t, HTTP_ERR_TOO_LARGE);
			return;
		}
		e->stats.transport_errors++;
		strbuf_addf(&t->error, "%s %s: %s", t->method, t->url,
			    t->curl_error[0] ? t->curl_error : curl_easy_strerror(code));
		if (msg_verbosity() >= MSG_VERBOSE)
			msg_debug("< failed %s %s: %s (%lld ms)", t->method, t->url,
				  t->curl_error[0] ? t->curl_error : curl_easy_strerror(code),
				  now - t->submitted);
		if (code == CURLE_OPERATION_TIMEDOUT && now >= t->deadline) {
			complete(e, t, HTTP_ERR_TIMEOUT);
			return;
		}
		retry = !is_permanent(code) && (is_idempotent(t) || never_reached_server(code));
	}

	if (retry && !(t->flags & HTTP_NO_RETRY) && t->tries < e->max_tries) {
		if (wait < 0)
			wait = http_backoff_ms(t->tries, e->backoff_base_ms, e->backoff_cap_ms, &e->rng);
		if (wait <= e->retry_after_cap_ms && http_add_ms(now, wait) < t->deadline) {
			t->not_before = now + wait;
			schedule(e, t, now);
			return;
		}
	}
	complete(e, t, t->has_response ? HTTP_OK :
		       (now >= t->deadline ? HTTP_ERR_TIMEOUT : HTTP_ERR_TRANSPORT));
}

/* Starts queued tasks while there is room; paced or early ones go back to the heap. */
static void fill(struct http_engine *e, long long now)
{
	while (e->in_flight < e->concurrency) {
		struct task *t = ready_pop(e);
		long long when;
		int rc;
		if (!t)
			break;
		if (t->kind == TASK_TIMER) {
			e->pending--;
			t->timer_fn(t->data);
			free(t);
			continue;
		}
		if (t->preset != HTTP_OK) {
			complete(e, t, t->preset);
			continue;
		}
		if (now >= t->deadline) {
			if (!t->has_response) {
				strbuf_reset(&t->error);
				strbuf_addf(&t->error, "%s %s: deadline passed before it could be sent",
					    t->method, t->url);
			}
			complete(e, t, t->has_response ? HTTP_OK : HTTP_ERR_TIMEOUT);
			continue;
		}
		if (t->bucket && !t->holds_token) {
			struct bucket_queue *q = queue_of(e, t->bucket);
			if (q->head && q->head != t) {
				queue_append(q, t); /* others wait for this bucket first */
				if (!t->was_paced++)
					e->stats.paced++;
				continue;
			}
			when = ratelimit_acquire(t->bucket, now);
			if (when) {
				if (!t->was_paced++)
					e->stats.paced++;
				if (!q->head)
					queue_append(q, t);
				if (when >= t->deadline) {
					queue_advance(e, q, t);
					strbuf_reset(&t->error);
					strbuf_addf(&t->error, "%s %s: throttled past its deadline",
						    t->method, t->url);
					complete(e, t, t->has_response ? HTTP_OK : HTTP_ERR_TIMEOUT);
					continue;
				}
				t->not_before = when;
				heap_push(e, t);
				continue;
			}
			t->holds_token = 1;
			queue_advance(e, q, t);
		}
		if (e->before_send && e->before_send(e->before_send_data)) {
			strbuf_reset(&t->error);
			strbuf_addf(&t->error, "%s %s: not sent: what announces it could not be recorded",
				    t->method, t->url);
			complete(e, t, HTTP_ERR_CANCELLED);
			continue;
		}
		rc = start_attempt(e, t, now);
		if (rc < 0)
			complete(e, t, rc == -1 ? HTTP_ERR_AUTH : HTTP_ERR_TRANSPORT);
	}
}

static void promote_due(struct http_engine *e, long long now)
{
	while (e->heap_nr && is_due(e->heap[0], now))
		ready_push(e, heap_pop(e));
}

static void drain(struct http_engine *e)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(e->multi, &left))) {
		struct task *t = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (m->data.result == CURLE_OK)
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &t->status);
		finish_attempt(e, t, m->data.result);
	}
}

/*
 * The multi handle failed as a whole (out of memory, a broken internal state): every transfer
 * in flight ends as a transport failure, retried like one, instead of waiting for a progress
 * that will not come.
 */
static void abort_in_flight(struct http_engine *e, CURLMcode mc)
{
	while (e->flight_head) {
		struct task *t = e->flight_head;
		snprintf(t->curl_error, sizeof(t->curl_error), "libcurl: %s", curl_multi_strerror(mc));
		finish_attempt(e, t, CURLE_FAILED_INIT);
	}
}

/* Tells libcurl its timer has come, when it has. */
static void run_curl_timer(struct http_engine *e, long long now)
{
	int running;
	CURLMcode mc;
	if (e->curl_timer_at < 0 || e->curl_timer_at > now)
		return;
	e->curl_timer_at = -1;
	mc = curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if (mc != CURLM_OK)
		abort_in_flight(e, mc);
}

/* Waits up to wait_ms for a watched socket and hands libcurl each one that is ready. */
static void wait_sockets(struct http_engine *e, long wait_ms)
{
	struct epoll_event evs[64];
	int n, i, running;
	n = epoll_wait(e->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), (int)wait_ms);
	for (i = 0; i < n; i++) {
		int bits = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		CURLMcode mc = curl_multi_socket_action(e->multi, evs[i].data.fd, bits, &running);
		if (mc != CURLM_OK) {
			abort_in_flight(e, mc);
			return;
		}
	}
	/* n < 0 is EINTR (a signal): the caller's loop looks at its flags and comes back */
}

size_t http_engine_run(struct http_engine *e, long timeout_ms)
{
	long long start = now_ms();
	long long end = timeout_ms < 0 ? LLONG_MAX : start + timeout_ms;

	for (;;) {
		long long now = now_ms(), wait;

		promote_due(e, now);
		fill(e, now);
		run_curl_timer(e, now_ms());
		drain(e);
		if (!e->pending || e->return_soon)
			break;
		now = now_ms();
		if (now >= end)
			break;
		if (e->ready_head && e->in_flight < e->concurrency)
			continue; /* callbacks queued more work that can start now */
		wait = end - now;
		if (e->heap_nr && e->heap[0]->not_before + 1 - now < wait)
			wait = e->heap[0]->not_before + 1 - now;
		if (e->curl_timer_at >= 0 && e->curl_timer_at - now < wait)
			wait = e->curl_timer_at - now;
		if (wait > 1000)
			wait = 1000;
		if (e->before_send)
			e->before_send(e->before_send_data); /* nothing waits uncommitted while idle */
		wait_sockets(e, wait > 0 ? (long)wait : 0);
		run_curl_timer(e, now_ms());
		drain(e);
		if (e->return_soon)
			break;
	}
	e->return_soon = 0;
	return e->pending;
}

void http_engine_set_before_send(struct http_engine *e, http_before_send_fn *fn, void *data)
{
	e->before_send = fn;
	e->before_send_data = data;
}

void http_engine_return_soon(struct http_engine *e)
{
	e->return_soon = 1;
}
