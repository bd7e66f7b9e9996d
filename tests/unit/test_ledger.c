/*
 * Unit tests for orchestrator/ledger: file mode, exclusive lock (and that it dies with its
 * process), resume of the same run, idempotent task planning, deterministic task names,
 * redaction of secrets, write intents without outcomes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "orchestrator/ledger.h"
#include "lib/msg.h"
#include "lib/strbuf.h"

#include "tests/unit/ledger_fixture.h"

static struct ledger *open_ok(void)
{
	struct ledger *l = NULL;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(ledger_open(path, &l, &err), LEDGER_OK);
	strbuf_release(&err);
	return l;
}

static void write_text(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_text(const char *file, const char *text)
{
	char buf[64] = { 0 };
	FILE *f = fopen(file, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) < sizeof(buf));
	fclose(f);
	assert_string_equal(buf, text);
}

/* A symlink at the ledger's or the lock's name is refused, and its target left untouched. */
static void test_symlinks_are_not_followed(void **state)
{
	struct ledger *l = NULL;
	struct strbuf err = STRBUF_INIT;
	char victim[160], lock[160];
	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	write_text(victim, "precious\n");
	assert_int_equal(symlink(victim, lock), 0);
	assert_int_equal(ledger_open(path, &l, &err), LEDGER_ERR_IO);
	assert_null(l);
	assert_non_null(strstr(err.buf, "symbolic link"));
	assert_text(victim, "precious\n");
	unlink(lock);
	unlink(path);
	strbuf_reset(&err);

	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(ledger_open(path, &l, &err), LEDGER_ERR_IO);
	assert_null(l);
	assert_non_null(strstr(err.buf, "symbolic link"));
	assert_text(victim, "precious\n");
	assert_int_equal(ledger_open_readonly(path, &l, &err), LEDGER_ERR_IO);
	assert_null(l);
	assert_text(victim, "precious\n");
	strbuf_release(&err);
}

static void test_created_private_with_wal(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run;
	struct stat st;
	char wal[160];
	(void)state;
	assert_int_equal(ledger_run_begin(l, "contain", "mg:corp", &run), LEDGER_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(stat(wal, &st), 0); /* WAL mode leaves a -wal file while open */
	assert_int_equal(st.st_mode & 0077, 0);
	assert_int_equal(strlen(run.uid), 16);
	ledger_run_release(&run);
	ledger_close(l);
}

static void test_second_open_refused_with_pid(void **state)
{
	struct ledger *l = open_ok(), *l2 = NULL;
	struct strbuf err = STRBUF_INIT;
	char pid[32];
	(void)state;
	/* flock is per open file description: a second open in this process conflicts too. */
	assert_int_equal(ledger_open(path, &l2, &err), LEDGER_ERR_BUSY);
	assert_null(l2);
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	assert_non_null(strstr(err.buf, pid));
	assert_non_null(strstr(err.buf, "in use"));
	strbuf_release(&err);
	ledger_close(l);
	l = open_ok(); /* released on close */
	ledger_close(l);
}

static void test_lock_dies_with_killed_process(void **state)
{
	int fds[2];
	char c;
	pid_t child;
	struct ledger *l;
	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		struct ledger *cl = NULL;
		struct strbuf err = STRBUF_INIT;
		if (ledger_open(path, &cl, &err))
			_exit(1);
		(void)!write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	{
		struct ledger *busy = NULL;
		struct strbuf err = STRBUF_INIT;
		assert_int_equal(ledger_open(path, &busy, &err), LEDGER_ERR_BUSY);
		strbuf_release(&err);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	l = open_ok(); /* the kernel dropped the flock with the process */
	ledger_close(l);
	close(fds[0]);
	close(fds[1]);
}

static void test_resume_same_run_and_tasks(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run, again;
	struct ledger_task task = { 0 }, *tasks;
	size_t nr;
	char *name;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "contain", "subs:a,b", &run), LEDGER_OK);
	name = ledger_task_name(run.uid, "/subscriptions/A", "webApps");
	task.name = name;
	task.scope = "/subscriptions/A";
	task.assignment_id = "/subscriptions/A/providers/Microsoft.Authorization/policyAssignments/x";
	task.reference_id = "webApps";
	task.discovery = "ReEvaluateCompliance";
	assert_int_equal(ledger_task_plan(l, run.id, &task), LEDGER_OK);
	assert_int_equal(ledger_task_update(l, run.id, name, "Running", 10, 3, 1), LEDGER_OK);
	ledger_close(l); /* as if killed: no state change recorded */

	l = open_ok();
	assert_int_equal(ledger_run_resumable(l, "subs:a,b", &again), LEDGER_OK);
	assert_int_equal(again.id, run.id);
	assert_string_equal(again.uid, run.uid);
	ledger_run_release(&again);
	assert_int_equal(ledger_run_resumable(l, "mg:other", &again), LEDGER_ERR_NOT_FOUND);
	/* planning again (a rerun) neither duplicates nor resets the task */
	assert_int_equal(ledger_task_plan(l, run.id, &task), LEDGER_OK);
	assert_int_equal(ledger_task_list(l, run.id, &tasks, &nr), LEDGER_OK);
	assert_int_equal(nr, 1);
	assert_string_equal(tasks[0].state, "Running");
	assert_int_equal(tasks[0].total, 10);
	assert_int_equal(tasks[0].succeeded, 3);
	assert_int_equal(tasks[0].failed, 1);
	ledger_tasks_free(tasks, nr);
	/* a finished run is not resumed */
	assert_int_equal(ledger_run_set_state(l, run.id, LEDGER_RUN_SUCCEEDED), LEDGER_OK);
	assert_int_equal(ledger_run_resumable(l, "subs:a,b", &again), LEDGER_ERR_NOT_FOUND);
	free(name);
	ledger_run_release(&run);
	ledger_close(l);
}

static void test_task_names_deterministic(void **state)
{
	char *a = ledger_task_name("0123456789abcdef", "/subscriptions/AB", "webApps");
	char *b = ledger_task_name("0123456789abcdef", "/subscriptions/ab", "webApps");
	char *c = ledger_task_name("0123456789abcdef", "/subscriptions/ab", "functionApps");
	char *d = ledger_task_name("fedcba9876543210", "/subscriptions/ab", "webApps");
	(void)state;
	assert_string_equal(a, b); /* ARM ids compare case-insensitively */
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_int_equal(strncmp(a, "policyctl-0123456789abcdef-", 27), 0);
	assert_int_equal(strlen(a), 27 + 12);
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_write_intent_without_outcome_is_pending(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run;
	struct ledger_write_stats ws;
	int64_t w1, w2, w3;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "apply", "mg:x", &run), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/a", "00", &w1), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/b", "", &w2), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/c", "", &w3), LEDGER_OK);
	assert_int_equal(ledger_write_outcome(l, w1, 1, 201, "req-1", NULL, NULL), LEDGER_OK);
	assert_int_equal(ledger_write_outcome(l, w2, 0, 400, "req-2", "InvalidThing", "bad"), LEDGER_OK);
	assert_int_equal(ledger_write_stats(l, run.id, &ws), LEDGER_OK);
	assert_int_equal(ws.intents, 3);
	assert_int_equal(ws.succeeded, 1);
	assert_int_equal(ws.failed, 1);
	assert_int_equal(ws.pending, 1);
	ledger_run_release(&run);
	ledger_close(l);
}

static void test_secrets_never_stored(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run;
	struct ledger_failure *f;
	struct strbuf file = STRBUF_INIT;
	size_t nr, i;
	char wal[160];
	int64_t w;
	(void)state;
	msg_add_secret("Sup3rS3cretTokenValue");
	assert_int_equal(ledger_run_begin(l, "apply", "mg:x", &run), LEDGER_OK);
	assert_int_equal(ledger_failure_add(l, run.id, LEDGER_FAILURE_WRITE, "/a", "Oops",
					    "echoed Bearer Sup3rS3cretTokenValue back", "r", "c"), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/a", "", &w), LEDGER_OK);
	assert_int_equal(ledger_write_outcome(l, w, 0, 400, "r", "X", "Sup3rS3cretTokenValue"), LEDGER_OK);
	assert_int_equal(ledger_failure_list(l, run.id, &f, &nr), LEDGER_OK);
	assert_int_equal(nr, 1);
	assert_null(strstr(f[0].message, "Sup3rS3cret"));
	assert_non_null(strstr(f[0].message, "[REDACTED]"));
	ledger_failures_free(f, nr);
	ledger_run_release(&run);
	ledger_close(l);
	/* and not in the bytes on disk either (main file and WAL) */
	assert_int_equal(strbuf_read_file(&file, path, 1 << 24), 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	strbuf_read_file(&file, wal, 1 << 24);
	for (i = 0; i + 11 <= file.len; i++)
		assert_false(!memcmp(file.buf + i, "Sup3rS3cret", 11));
	strbuf_release(&file);
}

static void test_scans_and_notes(void **state)
{
	struct ledger *l = open_ok(), *ro = NULL;
	struct ledger_run run;
	struct ledger_scan *scans;
	struct strbuf err = STRBUF_INIT;
	size_t nr;
	char *v;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "scan", "subs:a", &run), LEDGER_OK);
	assert_int_equal(ledger_scan_set(l, run.id, "a", "triggered", "https://x/op/1"), LEDGER_OK);
	assert_int_equal(ledger_scan_set(l, run.id, "a", "Succeeded", NULL), LEDGER_OK);
	assert_int_equal(ledger_note_set(l, run.id, "principal", "p1"), LEDGER_OK);
	/* a reader sees it while the writer still holds the lock */
	assert_int_equal(ledger_open_readonly(path, &ro, &err), LEDGER_OK);
	assert_int_equal(ledger_scan_list(ro, run.id, &scans, &nr), LEDGER_OK);
	assert_int_equal(nr, 1);
	assert_string_equal(scans[0].state, "Succeeded");
	assert_string_equal(scans[0].location, "https://x/op/1"); /* kept */
	ledger_scans_free(scans, nr);
	assert_int_equal(ledger_note_get(ro, run.id, "principal", &v), LEDGER_OK);
	assert_string_equal(v, "p1");
	free(v);
	assert_int_equal(ledger_note_get(ro, run.id, "nope", &v), LEDGER_ERR_NOT_FOUND);
	ledger_close(ro);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
}

static void test_readonly_refuses_missing_and_foreign_files(void **state)
{
	struct ledger *ro = NULL;
	struct strbuf err = STRBUF_INIT;
	char other[160];
	FILE *f;
	(void)state;
	assert_int_equal(ledger_open_readonly(path, &ro, &err), LEDGER_ERR_IO);
	assert_non_null(strstr(err.buf, "cannot read ledger"));
	strbuf_reset(&err);
	snprintf(other, sizeof(other), "%s/not-a-ledger", dir);
	f = fopen(other, "w");
	fputs("hello, this is not sqlite at all, just text long enough\n", f);
	fclose(f);
	assert_int_not_equal(ledger_open_readonly(other, &ro, &err), LEDGER_OK);
	assert_non_null(strstr(err.buf, "not-a-ledger"));
	strbuf_release(&err);
}

/* Writes a value into the file behind the ledger's back, as another version might have. */
static void poke(const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_enum_names_round_trip(void **state)
{
	static const char *const phases[] = { "start", "apply", "scan", "remediate", "track",
					      "verify", "done" };
	static const char *const states[] = { "running", "open", "succeeded", "failed",
					      "timeout", "interrupted" };
	static const char *const kinds[] = { "write", "scope", "scan", "task", "deployment", "verify" };
	enum ledger_phase phase;
	enum ledger_run_state run_state;
	enum ledger_failure_kind kind;
	size_t i;
	(void)state;
	/* the names earlier versions stored, in contain's order */
	for (i = 0; i < sizeof(phases) / sizeof(*phases); i++) {
		assert_int_equal(ledger_phase_parse(phases[i], &phase), 0);
		assert_int_equal(phase, (enum ledger_phase)i);
		assert_string_equal(ledger_phase_name(phase), phases[i]);
	}
	for (i = 0; i < sizeof(states) / sizeof(*states); i++) {
		assert_int_equal(ledger_run_state_parse(states[i], &run_state), 0);
		assert_string_equal(ledger_run_state_name(run_state), states[i]);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		assert_int_equal(ledger_failure_kind_parse(kinds[i], &kind), 0);
		assert_string_equal(ledger_failure_kind_name(kind), kinds[i]);
	}
	/* unknown names are refused, not read as the first value */
	assert_int_equal(ledger_phase_parse("preflight-from-the-future", &phase), -1);
	assert_int_equal(ledger_phase_parse("", &phase), -1);
	assert_int_equal(ledger_phase_parse("Start", &phase), -1);
	assert_int_equal(ledger_run_state_parse("paused", &run_state), -1);
	assert_int_equal(ledger_failure_kind_parse("other", &kind), -1);
	/* task states: policyctl's own two exactly, Azure's in any case, the rest running */
	assert_int_equal(ledger_task_state_of(NULL), LEDGER_TASK_QUEUED);
	assert_int_equal(ledger_task_state_of("queued"), LEDGER_TASK_QUEUED);
	assert_int_equal(ledger_task_state_of("planned"), LEDGER_TASK_PLANNED);
	assert_int_equal(ledger_task_state_of("Complete"), LEDGER_TASK_SUCCEEDED);
	assert_int_equal(ledger_task_state_of("succeeded"), LEDGER_TASK_SUCCEEDED);
	assert_int_equal(ledger_task_state_of("CreateFailed"), LEDGER_TASK_FAILED);
	assert_int_equal(ledger_task_state_of("Canceled"), LEDGER_TASK_CANCELED);
	assert_int_equal(ledger_task_state_of("Evaluating"), LEDGER_TASK_RUNNING);
	assert_int_equal(ledger_task_state_of("Cancelling"), LEDGER_TASK_RUNNING);
}

static void test_stored_names_read_back_and_unknown_is_an_error(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run, read;
	struct ledger_failure *f = NULL;
	size_t nr = 0;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "contain", "mg:x", &run), LEDGER_OK);
	assert_int_equal(run.phase, LEDGER_PHASE_START);
	assert_int_equal(run.state, LEDGER_RUN_RUNNING);
	assert_int_equal(ledger_run_set_phase(l, run.id, LEDGER_PHASE_REMEDIATE), LEDGER_OK);
	assert_int_equal(ledger_run_set_state(l, run.id, LEDGER_RUN_INTERRUPTED), LEDGER_OK);
	assert_int_equal(ledger_failure_add(l, run.id, LEDGER_FAILURE_SCAN, "/subscriptions/a",
					    "Oops", "m", "r", "c"), LEDGER_OK);
	ledger_close(l);
	/* a ledger written before the enums holds these texts: they read back as before */
	poke("UPDATE runs SET phase = 'verify', state = 'timeout'");
	l = open_ok();
	assert_int_equal(ledger_run_resumable(l, "mg:x", &read), LEDGER_OK);
	assert_int_equal(read.phase, LEDGER_PHASE_VERIFY);
	assert_int_equal(read.state, LEDGER_RUN_TIMEOUT);
	ledger_run_release(&read);
	assert_int_equal(ledger_failure_list(l, run.id, &f, &nr), LEDGER_OK);
	assert_int_equal(nr, 1);
	assert_int_equal(f[0].kind, LEDGER_FAILURE_SCAN);
	ledger_failures_free(f, nr);
	ledger_close(l);
	/* an unknown phase is an error naming it, never "start" (which would redo the run) */
	poke("UPDATE runs SET phase = 'preflight'");
	poke("UPDATE failures SET kind = 'exemption'");
	l = open_ok();
	assert_int_equal(ledger_run_resumable(l, "mg:x", &read), LEDGER_ERR_FORMAT);
	assert_non_null(strstr(ledger_errmsg(l), "unknown run phase 'preflight'"));
	assert_int_equal(ledger_run_latest(l, &read), LEDGER_ERR_FORMAT);
	assert_int_equal(ledger_failure_list(l, run.id, &f, &nr), LEDGER_ERR_FORMAT);
	assert_non_null(strstr(ledger_errmsg(l), "unknown failure kind 'exemption'"));
	assert_null(f);
	assert_int_equal(nr, 0);
	ledger_run_release(&run);
	ledger_close(l);
}


/* track and cancel find the newest run of their own scope, never another scope's. */
static void test_latest_of_scope(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run mg, subs, found;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "contain", "mg:mg-1", &mg), LEDGER_OK);
	assert_int_equal(ledger_run_set_state(l, mg.id, LEDGER_RUN_SUCCEEDED), LEDGER_OK);
	assert_int_equal(ledger_run_latest_of_scope(l, "subs:s1", &found), LEDGER_ERR_NOT_FOUND);
	assert_int_equal(ledger_run_begin(l, "contain", "subs:s1", &subs), LEDGER_OK);
	assert_int_equal(ledger_run_latest_of_scope(l, "mg:mg-1", &found), LEDGER_OK);
	assert_string_equal(found.uid, mg.uid); /* finished, and still the one of its scope */
	assert_int_equal(found.state, LEDGER_RUN_SUCCEEDED);
	ledger_run_release(&found);
	assert_int_equal(ledger_run_latest_of_scope(l, "subs:s1", &found), LEDGER_OK);
	assert_string_equal(found.uid, subs.uid);
	ledger_run_release(&found);
	ledger_run_release(&mg);
	ledger_run_release(&subs);
	ledger_close(l);
}

/*
 * A ledger that refuses writes (here a trigger raising the error a full disk gives, which
 * works as root where file modes do not) reports it: the intent is not "recorded" and the
 * caller is told, so it can refuse to send.
 */
static void test_refused_write_is_reported(void **state)
{
	struct ledger *l = open_ok();
	struct ledger_run run;
	sqlite3 *db;
	int64_t write_id = 42;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "contain", "mg:mg-1", &run), LEDGER_OK);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER full BEFORE INSERT ON writes BEGIN"
				      " SELECT RAISE(ABORT, 'database or disk is full'); END;",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/subscriptions/s1/x", "", &write_id),
			 LEDGER_ERR_SQL);
	assert_int_equal(write_id, 0);
	assert_non_null(strstr(ledger_errmsg(l), "disk is full"));
	ledger_run_release(&run);
	ledger_close(l);
}

/* In a batch, records are committed by the flush: a reader sees none before, all after; a
 * refused record fails alone and the batch's others still commit. */
static void test_batch_commits_on_flush(void **state)
{
	struct ledger *l = open_ok(), *ro = NULL;
	struct ledger_run run;
	struct ledger_write_stats ws;
	struct strbuf err = STRBUF_INIT;
	sqlite3 *db;
	int64_t w1, w2, w3 = 7;
	(void)state;
	assert_int_equal(ledger_run_begin(l, "apply", "mg:x", &run), LEDGER_OK);
	assert_int_equal(ledger_open_readonly(path, &ro, &err), LEDGER_OK);
	ledger_batch_start(l);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/a", "00", &w1), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/b", "00", &w2), LEDGER_OK);
	assert_int_equal(ledger_write_outcome(l, w1, 1, 201, "req-1", NULL, NULL), LEDGER_OK);
	assert_int_equal(ledger_write_stats(ro, run.id, &ws), LEDGER_OK);
	assert_int_equal(ws.intents, 0);
	assert_int_equal(ledger_batch_flush(l), LEDGER_OK);
	assert_int_equal(ledger_write_stats(ro, run.id, &ws), LEDGER_OK);
	assert_int_equal(ws.intents, 2);
	assert_int_equal(ws.succeeded, 1);
	/* nothing open: a flush is a no-op */
	assert_int_equal(ledger_batch_flush(l), LEDGER_OK);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER full BEFORE INSERT ON writes"
				      " WHEN NEW.resource_id = '/d' BEGIN"
				      " SELECT RAISE(ABORT, 'database or disk is full'); END;",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/c", "00", &w3), LEDGER_OK);
	assert_int_equal(ledger_write_intent(l, run.id, "PUT", "/d", "00", &w3), LEDGER_ERR_SQL);
	assert_int_equal(ledger_batch_flush(l), LEDGER_OK);
	assert_int_equal(ledger_write_stats(ro, run.id, &ws), LEDGER_OK);
	assert_int_equal(ws.intents, 3);
	ledger_close(ro);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_private_with_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_are_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_of_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_write_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_refused_with_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_dies_with_killed_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_same_run_and_tasks, setup, teardown),
		cmocka_unit_test(test_enum_names_round_trip),
		cmocka_unit_test_setup_teardown(test_stored_names_read_back_and_unknown_is_an_error,
						setup, teardown),
		cmocka_unit_test(test_task_names_deterministic),
		cmocka_unit_test_setup_teardown(test_write_intent_without_outcome_is_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_never_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scans_and_notes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_commits_on_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refuses_missing_and_foreign_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
