/*
 * armload — drives the ARM client from tests and benchmarks (a test driver, not a command).
 *
 *   armload [-v] [--dry-run] [--concurrency N] -c CONFIG token
 *       get a token with the configured credential and GET /subscriptions with it
 *   armload ... -c CONFIG run FILE
 *       FILE lines "METHOD PATH EXPECT [JSON BODY]" (EXPECT: a status, "2xx", or "a|b");
 *       all are queued at once and pumped to completion; writes follow their long-running
 *       operation (ARM_FOLLOW_LRO); each final status is checked
 *   armload ... -c CONFIG list METHOD PATH
 *       every page; reports items, distinct ids (id, name or resourceId) and pages
 *   armload ... -c CONFIG get PATH N
 *       N GETs of PATH queued at once (the benchmark)
 *
 * Prints one summary line of key=value pairs on stdout (requests, ok, wrong, attempts,
 * retries, throttled, ...). Failures are printed with arm_error_format. Exit 0 when every
 * request met its expectation, 1 otherwise, 2 on usage or config errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arm.h"
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct expectation {
	char *want;   /* "200", "2xx", "200|201" */
	char *what;   /* "METHOD PATH" for messages */
};

struct totals {
	unsigned long requests, ok, wrong;
	unsigned printed;
};

static struct totals totals;

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int status_matches(const char *want, long status)
{
	char buf[8];
	const char *p = want;
	snprintf(buf, sizeof(buf), "%ld", status);
	while (*p) {
		size_t n = strcspn(p, "|");
		if (n == 3 && p[1] == 'x' && p[2] == 'x' && buf[0] == p[0] && strlen(buf) == 3)
			return 1;
		if (n == strlen(buf) && !strncmp(p, buf, n))
			return 1;
		p += n;
		if (*p == '|')
			p++;
	}
	return 0;
}

static void report_failure(const struct arm_response *resp, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	if (totals.printed++ >= 20)
		return;
	arm_error_format(&resp->error, &sb);
	msg_error("%s: %s: %s", what, arm_result_name(resp->result), sb.buf);
	strbuf_release(&sb);
}

static void on_done(struct arm_client *c, struct arm_response *resp, void *data)
{
	struct expectation *x = data;
	long status = resp->dry_run ? 0 : resp->status;
	int good;
	(void)c;
	if (resp->dry_run)
		good = 1;
	else if (x && x->want[0] != '2')
		good = resp->result == ARM_ERR_HTTP && status_matches(x->want, status);
	else
		good = resp->result == ARM_OK && (!x || status_matches(x->want, status));
	if (good) {
		totals.ok++;
	} else {
		totals.wrong++;
		report_failure(resp, x ? x->what : "request");
	}
	if (x) {
		free(x->want);
		free(x->what);
		free(x);
	}
}

static void print_summary(struct arm_client *c, long long started)
{
	struct arm_stats st;
	long long ms = wall_ms() - started;
	arm_client_stats(c, &st);
	printf("requests=%lu ok=%lu wrong=%lu attempts=%lu retries=%lu throttled=%lu "
	       "server_errors=%lu transport_errors=%lu paced=%lu pages=%lu lro_polls=%lu "
	       "dry_run_writes=%lu peak_in_flight=%d elapsed_ms=%lld rps=%.1f\n",
	       totals.requests, totals.ok, totals.wrong, st.http.attempts, st.http.retries,
	       st.http.throttled, st.http.server_errors, st.http.transport_errors, st.http.paced,
	       st.pages, st.lro_polls, st.dry_run_writes, st.http.peak_in_flight, ms,
	       ms > 0 ? (double)totals.requests * 1000.0 / (double)ms : 0.0);
}

static int cmd_run(struct arm_client *c, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		msg_error("cannot open '%s'", file);
		return 2;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char method[16], path[2048], want[32];
		int used = 0;
		json_t *body = NULL;
		struct expectation *x;
		struct arm_call_options o;
		struct strbuf what = STRBUF_INIT;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%15s %2047s %31s %n", method, path, want, &used) < 3) {
			msg_error("'%s': bad line: %s", file, line);
			return 2;
		}
		if (line[used] && line[used] != '\n') {
			json_error_t jerr;
			body = json_loads(line + used, 0, &jerr);
			if (!body) {
				msg_error("'%s': bad JSON body: %s", file, jerr.text);
				return 2;
			}
		}
		memset(&o, 0, sizeof(o));
		/* writes are followed to the end of their long-running operation, as callers do */
		if (strcmp(method, "GET"))
			o.flags |= ARM_FOLLOW_LRO;
		if (!strcmp(method, "POST") && strstr(path, "triggerEvaluation"))
			o.flags |= ARM_IDEMPOTENT;
		o.lro_interval_ms = 200;
		x = xcalloc(1, sizeof(*x));
		x->want = xstrdup(want);
		strbuf_addf(&what, "%s %s", method, path);
		x->what = strbuf_detach(&what, NULL);
		totals.requests++;
		arm_submit(c, method, path, body, &o, on_done, x);
		json_decref(body);
	}
	free(line);
	fclose(f);
	arm_client_run(c, -1);
	return totals.wrong ? 1 : 0;
}

static int cmd_list(struct arm_client *c, const char *method, const char *path)
{
	struct arm_response resp;
	json_t *seen = json_object(), *item;
	size_t i, duplicates = 0, unnamed = 0;
	int ret;

	totals.requests = 1;
	arm_list(c, method, path, NULL, NULL, &resp);
	json_array_foreach(resp.body, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));
		if (!id)
			id = json_string_value(json_object_get(item, "resourceId"));
		if (!id)
			id = json_string_value(json_object_get(item, "name"));
		if (!id) {
			unnamed++;
			continue;
		}
		if (json_object_get(seen, id))
			duplicates++;
		json_object_set_new(seen, id, json_true());
	}
	if (resp.result == ARM_OK)
		totals.ok = 1;
	else {
		totals.wrong = 1;
		report_failure(&resp, path);
	}
	printf("items=%zu distinct=%zu duplicates=%zu unnamed=%zu pages=%u\n",
	       json_array_size(resp.body), json_object_size(seen), duplicates, unnamed, resp.pages);
	ret = resp.result == ARM_OK && !duplicates ? 0 : 1;
	json_decref(seen);
	arm_response_release(&resp);
	return ret;
}

static int cmd_token(struct arm_client *c)
{
	struct arm_response resp;
	totals.requests = 1;
	if (arm_get(c, "/subscriptions", NULL, &resp) != ARM_OK) {
		report_failure(&resp, "GET /subscriptions");
		totals.wrong = 1;
		arm_response_release(&resp);
		return 1;
	}
	totals.ok = 1;
	printf("credential=%s subscriptions=%zu\n", credential_name(arm_client_credential(c)),
	       json_array_size(json_object_get(resp.body, "value")));
	arm_response_release(&resp);
	return 0;
}

static int cmd_get(struct arm_client *c, const char *path, long count)
{
	long i;
	for (i = 0; i < count; i++) {
		struct expectation *x = xcalloc(1, sizeof(*x));
		x->want = xstrdup("2xx");
		x->what = xstrdup(path);
		totals.requests++;
		arm_submit(c, "GET", path, NULL, NULL, on_done, x);
	}
	arm_client_run(c, -1);
	return totals.wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct arm_client_options o;
	struct arm_client *c = NULL;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	const char *config_path = NULL;
	long long started;
	int opt, ret = 2;

	msg_set_program("armload");
	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg)); /* config_load sets the defaults itself */
	while ((opt = getopt_long(argc, argv, "+vnj:c:", options, NULL)) != -1) {
		switch (opt) {
		case 'v':
			msg_set_verbosity(MSG_VERBOSE);
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'j':
			o.http.concurrency = (int)strtol(optarg, NULL, 10);
			break;
		case 'c':
			config_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!config_path || optind >= argc)
		goto usage;
	if (config_load(&cfg, config_path, &err) != CONFIG_OK) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (arm_client_new(&cfg, &o, &c, &err) != ARM_OK) {
		msg_error("%s", err.buf);
		ret = 1;
		goto out;
	}
	started = wall_ms();
	if (!strcmp(argv[optind], "token") && argc - optind == 1)
		ret = cmd_token(c);
	else if (!strcmp(argv[optind], "run") && argc - optind == 2)
		ret = cmd_run(c, argv[optind + 1]);
	else if (!strcmp(argv[optind], "list") && argc - optind == 3)
		ret = cmd_list(c, argv[optind + 1], argv[optind + 2]);
	else if (!strcmp(argv[optind], "get") && argc - optind == 3)
		ret = cmd_get(c, argv[optind + 1], strtol(argv[optind + 2], NULL, 10));
	else
		goto usage;
	print_summary(c, started);
	goto out;
usage:
	fputs("usage: armload [-v] [--dry-run] [--concurrency N] -c CONFIG "
	      "(token | run FILE | list METHOD PATH | get PATH N)\n", stderr);
	ret = 2;
out:
	arm_client_free(c);
	config_release(&cfg);
	strbuf_release(&err);
	return ret;
}
