/*
 * fuzz_ledger — the ledger's readers on a damaged ledger file.
 *
 * The input fills a ledger whose tables have the right names and columns but no types or
 * constraints, as a file edited by hand or by another program could: NULLs where the schema
 * says NOT NULL, blobs, huge integers, invalid UTF-8, text with NULs. Every reader status and
 * report call (runs by id, scope and age, tasks, scans, failures, counts, notes, write stats,
 * progress points) must cope.
 *
 * Input: fields separated by 0xff; each field's first byte picks its type (i int, n NULL,
 * b blob, f real, anything else text) and a field starting with '|' moves to the next table.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/msg.h"
#include "lib/strbuf.h"
#include "orchestrator/ledger.h"

static const char *const tables[][2] = {
	{ "runs", "id, uid, command, scope, phase, state, started_ms, updated_ms, finished_ms, pid" },
	{ "tasks", "run_id, name, scope, assignment_id, reference_id, discovery, state, total, "
		   "succeeded, failed, updated_ms" },
	{ "scans", "run_id, subscription, state, location, updated_ms" },
	{ "failures", "id, run_id, kind, subject, code, message, request_id, correlation_id, at_ms" },
	{ "writes", "id, run_id, method, resource_id, body_digest, outcome, status, request_id, "
		    "code, message, intent_ms, outcome_ms" },
	{ "task_subs", "run_id, task, subscription, succeeded, failed" },
	{ "notes", "run_id, key, value" },
	{ "progress", "run_id, at_ms, tasks, total, succeeded, failed" },
};
#define NR_TABLES (sizeof(tables) / sizeof(tables[0]))

static char path[64];
static sqlite3 *db;

static int columns_of(int t)
{
	int n = 1;
	const char *p;
	for (p = tables[t][1]; *p; p++)
		n += *p == ',';
	return n;
}

static void setup(void)
{
	struct strbuf sql = STRBUF_INIT;
	size_t t;
	int fd;
	/* tmpfs when there is one: the target writes the file on every input */
	snprintf(path, sizeof(path), "%s/fuzz-ledger-%ld.db",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		abort();
	close(fd);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		abort();
	strbuf_addstr(&sql, "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY;");
	for (t = 0; t < NR_TABLES; t++)
		strbuf_addf(&sql, "CREATE TABLE %s (%s);", tables[t][0], tables[t][1]);
	if (sqlite3_exec(db, sql.buf, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	strbuf_release(&sql);
	msg_set_verbosity(MSG_QUIET);
}

/* Inserts rows from data; returns the first run id seen (or 1). */
static int64_t fill(const uint8_t *data, size_t size)
{
	size_t t = 0, pos = 0;
	int col = 0;
	sqlite3_stmt *st = NULL;
	int64_t first_run = 1;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (t = 0; t < NR_TABLES; t++) {
		char sql[512];
		snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[t][0]);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	t = 0;
	while (pos < size && t < NR_TABLES) {
		const uint8_t *end = memchr(data + pos, 0xff, size - pos);
		size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
		const char *f = (const char *)data + pos;
		pos += len + 1;
		if (len && f[0] == '|') {
			sqlite3_finalize(st);
			st = NULL;
			col = 0;
			t++;
			continue;
		}
		if (!st) {
			char sql[512];
			int n = columns_of((int)t), i;
			int off = snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (?", tables[t][0],
					   tables[t][1]);
			for (i = 1; i < n; i++)
				off += snprintf(sql + off, sizeof(sql) - (size_t)off, ",?");
			snprintf(sql + off, sizeof(sql) - (size_t)off, ")");
			if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
				abort();
		}
		if (!len || f[0] == 'n') {
			sqlite3_bind_null(st, col + 1);
		} else if (f[0] == 'i') {
			char num[32];
			size_t n = len - 1 < sizeof(num) - 1 ? len - 1 : sizeof(num) - 1;
			memcpy(num, f + 1, n);
			num[n] = '\0';
			sqlite3_bind_int64(st, col + 1, strtoll(num, NULL, 10));
			if (t == 0 && col == 0)
				first_run = strtoll(num, NULL, 10);
		} else if (f[0] == 'f') {
			char num[32];
			size_t n = len - 1 < sizeof(num) - 1 ? len - 1 : sizeof(num) - 1;
			memcpy(num, f + 1, n);
			num[n] = '\0';
			sqlite3_bind_double(st, col + 1, strtod(num, NULL));
		} else if (f[0] == 'b') {
			sqlite3_bind_blob(st, col + 1, f + 1, (int)len - 1, SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_text(st, col + 1, f, (int)len, SQLITE_TRANSIENT);
		}
		if (++col == columns_of((int)t)) {
			sqlite3_step(st);
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			col = 0;
		}
	}
	if (st && col) {
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return first_run;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	int64_t id;

	if (!db)
		setup();
	id = fill(data, size);
	if (ledger_open_readonly(path, &l, &err) == LEDGER_OK) {
		struct ledger_task *tasks = NULL;
		struct ledger_scan *scans = NULL;
		struct ledger_failure *failures = NULL;
		struct ledger_sub_counts *counts = NULL;
		struct ledger_write_stats ws;
		struct ledger_progress_point *points = NULL;
		size_t nr = 0;
		char *value = NULL;

		if (ledger_run_latest(l, &run) == LEDGER_OK)
			id = run.id;
		ledger_run_release(&run);
		if (ledger_run_get(l, id, &run) == LEDGER_OK) {
			struct ledger_run again = { 0 };
			if (ledger_run_resumable(l, run.scope ? run.scope : "", &again) == LEDGER_OK)
				ledger_run_release(&again);
		}
		ledger_run_release(&run);
		memset(&run, 0, sizeof(run));
		if (ledger_run_resumable(l, "mg:x", &run) == LEDGER_OK)
			ledger_run_release(&run);
		if (ledger_task_list(l, id, &tasks, &nr) == LEDGER_OK)
			ledger_tasks_free(tasks, nr);
		if (ledger_scan_list(l, id, &scans, &nr) == LEDGER_OK)
			ledger_scans_free(scans, nr);
		if (ledger_failure_list(l, id, &failures, &nr) == LEDGER_OK)
			ledger_failures_free(failures, nr);
		if (ledger_sub_counts_list(l, id, &counts, &nr) == LEDGER_OK)
			ledger_sub_counts_free(counts, nr);
		if (ledger_note_get(l, id, "principal", &value) == LEDGER_OK)
			free(value);
		if (ledger_write_stats(l, id, &ws) != LEDGER_OK)
			memset(&ws, 0, sizeof(ws));
		if (ledger_progress_list(l, id, &points, &nr) == LEDGER_OK)
			free(points);
		memset(&run, 0, sizeof(run));
		if (ledger_run_latest_of_scope(l, "subs:a,b", &run) == LEDGER_OK)
			ledger_run_release(&run);
		ledger_close(l);
	}
	strbuf_release(&err);
	return 0;
}
