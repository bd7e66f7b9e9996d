/*
 * ledger — the run's durable record in SQLite (see ledger.h).
 *
 * The schema is created on first open and versioned in user_version. Statements are prepared
 * per call: the ledger sees a few writes per HTTP request at most, far below what would make
 * statement caching matter, and per-call statements keep each function self-contained.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orchestrator/ledger.h"
#include "lib/digest.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define LEDGER_SCHEMA_VERSION 1

/*
 * Prepared statements are kept for the ledger's life, one per SQL text (keyed by the string
 * literal's address): parsing the SQL again for each of a tenant's 15,000 writes cost more
 * than running it. A statement in use (a query still being stepped) is not handed out twice;
 * a second user gets one of its own, finalized when done.
 */
#define STMT_CACHE_MAX 48

struct cached_stmt {
	const char *sql;  /* borrowed: a string literal */
	sqlite3_stmt *st; /* owned */
	int busy;
};

struct ledger {
	sqlite3 *db;
	int lock_fd; /* flock'ed sidecar file, -1 when read-only */
	char format_error[160]; /* the last LEDGER_ERR_FORMAT's text; "" when none */
	struct cached_stmt stmts[STMT_CACHE_MAX];
	size_t nr_stmts;
	int batching;   /* ledger_batch_start: writes join one transaction until a flush */
	int in_txn;     /* that transaction is open */
};

static const char *const phase_names[LEDGER_PHASE_COUNT] = {
	[LEDGER_PHASE_START] = "start", [LEDGER_PHASE_APPLY] = "apply",
	[LEDGER_PHASE_SCAN] = "scan", [LEDGER_PHASE_REMEDIATE] = "remediate",
	[LEDGER_PHASE_TRACK] = "track", [LEDGER_PHASE_VERIFY] = "verify",
	[LEDGER_PHASE_DONE] = "done", [LEDGER_PHASE_FIX] = "fix",
};

static const char *const run_state_names[LEDGER_RUN_STATE_COUNT] = {
	[LEDGER_RUN_RUNNING] = "running", [LEDGER_RUN_OPEN] = "open",
	[LEDGER_RUN_SUCCEEDED] = "succeeded", [LEDGER_RUN_FAILED] = "failed",
	[LEDGER_RUN_TIMEOUT] = "timeout", [LEDGER_RUN_INTERRUPTED] = "interrupted",
};

static const char *const failure_kind_names[LEDGER_FAILURE_KIND_COUNT] = {
	[LEDGER_FAILURE_WRITE] = "write", [LEDGER_FAILURE_SCOPE] = "scope",
	[LEDGER_FAILURE_SCAN] = "scan", [LEDGER_FAILURE_TASK] = "task",
	[LEDGER_FAILURE_DEPLOYMENT] = "deployment", [LEDGER_FAILURE_VERIFY] = "verify",
	[LEDGER_FAILURE_INVENTORY] = "inventory",
};

/* The index of name in names[nr], or -1. */
static int name_index(const char *const *names, size_t nr, const char *name)
{
	size_t i;
	for (i = 0; name && i < nr; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

const char *ledger_phase_name(enum ledger_phase phase)
{
	return (size_t)phase < LEDGER_PHASE_COUNT ? phase_names[phase] : "?";
}

int ledger_phase_parse(const char *name, enum ledger_phase *out)
{
	int i = name_index(phase_names, LEDGER_PHASE_COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum ledger_phase)i;
	return 0;
}

const char *ledger_run_state_name(enum ledger_run_state state)
{
	return (size_t)state < LEDGER_RUN_STATE_COUNT ? run_state_names[state] : "?";
}

int ledger_run_state_parse(const char *name, enum ledger_run_state *out)
{
	int i = name_index(run_state_names, LEDGER_RUN_STATE_COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum ledger_run_state)i;
	return 0;
}

const char *ledger_failure_kind_name(enum ledger_failure_kind kind)
{
	return (size_t)kind < LEDGER_FAILURE_KIND_COUNT ? failure_kind_names[kind] : "?";
}

int ledger_failure_kind_parse(const char *name, enum ledger_failure_kind *out)
{
	int i = name_index(failure_kind_names, LEDGER_FAILURE_KIND_COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum ledger_failure_kind)i;
	return 0;
}

const char *ledger_task_state_name(enum ledger_task_state state)
{
	switch (state) {
	case LEDGER_TASK_QUEUED: return "queued";
	case LEDGER_TASK_PLANNED: return "planned";
	case LEDGER_TASK_RUNNING: return "Running";
	case LEDGER_TASK_SUCCEEDED: return "Succeeded";
	case LEDGER_TASK_FAILED: return "Failed";
	case LEDGER_TASK_CANCELED: return "Canceled";
	}
	return "?";
}

enum ledger_task_state ledger_task_state_of(const char *text)
{
	if (!text || !*text || !strcmp(text, "queued"))
		return LEDGER_TASK_QUEUED;
	if (!strcmp(text, "planned"))
		return LEDGER_TASK_PLANNED;
	if (!strcasecmp(text, "Succeeded") || !strcasecmp(text, "Complete"))
		return LEDGER_TASK_SUCCEEDED;
	if (!strcasecmp(text, "Failed") || !strcasecmp(text, "CreateFailed"))
		return LEDGER_TASK_FAILED;
	if (!strcasecmp(text, "Canceled"))
		return LEDGER_TASK_CANCELED;
	return LEDGER_TASK_RUNNING;
}

/* Records an unknown stored name for ledger_errmsg; returns LEDGER_ERR_FORMAT. */
static enum ledger_result format_error(struct ledger *l, const char *what, const unsigned char *name)
{
	snprintf(l->format_error, sizeof(l->format_error),
		 "unknown %s '%.40s' (written by a newer policyctl?)", what,
		 name ? (const char *)name : "");
	return LEDGER_ERR_FORMAT;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS runs ("
	" id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, command TEXT NOT NULL,"
	" scope TEXT NOT NULL, phase TEXT NOT NULL, state TEXT NOT NULL,"
	" started_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS writes ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, method TEXT NOT NULL,"
	" resource_id TEXT NOT NULL, body_digest TEXT NOT NULL, outcome TEXT NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0, request_id TEXT, code TEXT, message TEXT,"
	" intent_ms INTEGER NOT NULL, outcome_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS writes_run ON writes(run_id);"
	"CREATE TABLE IF NOT EXISTS tasks ("
	" run_id INTEGER NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL,"
	" assignment_id TEXT NOT NULL, reference_id TEXT NOT NULL, discovery TEXT NOT NULL,"
	" state TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0, succeeded INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, name));"
	"CREATE TABLE IF NOT EXISTS scans ("
	" run_id INTEGER NOT NULL, subscription TEXT NOT NULL, state TEXT NOT NULL,"
	" location TEXT, updated_ms INTEGER NOT NULL, PRIMARY KEY (run_id, subscription));"
	"CREATE TABLE IF NOT EXISTS failures ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT,"
	" code TEXT, message TEXT, request_id TEXT, correlation_id TEXT, at_ms INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS failures_run ON failures(run_id);"
	"CREATE TABLE IF NOT EXISTS task_subs ("
	" run_id INTEGER NOT NULL, task TEXT NOT NULL, subscription TEXT NOT NULL,"
	" succeeded INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, task, subscription));"
	"CREATE TABLE IF NOT EXISTS notes ("
	" run_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (run_id, key));"
	"CREATE TABLE IF NOT EXISTS progress ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
	" tasks INTEGER NOT NULL, total INTEGER NOT NULL, succeeded INTEGER NOT NULL,"
	" failed INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS progress_run ON progress(run_id);"
	"CREATE TABLE IF NOT EXISTS fixes ("
	" run_id INTEGER NOT NULL, resource_id TEXT NOT NULL, tier TEXT NOT NULL,"
	" batch INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT, updated_ms INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, resource_id));";

int64_t ledger_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ledger_errmsg(struct ledger *l)
{
	if (l && l->format_error[0])
		return l->format_error;
	return l && l->db ? sqlite3_errmsg(l->db) : "no database";
}

static char *dup_or_null(const unsigned char *s)
{
	return s ? xstrdup((const char *)s) : NULL;
}

static char *dup_or_empty(const unsigned char *s)
{
	return xstrdup(s ? (const char *)s : "");
}

/* Redacted copy of network text, so a token that slipped into an error never lands on disk. */
static char *redacted(const char *s)
{
	char *out = NULL;
	if (!s)
		return NULL;
	msg_redact_into(s, &out);
	return out;
}

static enum ledger_result exec_sql(struct ledger *l, const char *sql)
{
	return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? LEDGER_OK : LEDGER_ERR_SQL;
}

/* The statement for sql (a string literal): the cached one when free, else a new one. */
static sqlite3_stmt *stmt_get(struct ledger *l, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	for (i = 0; i < l->nr_stmts; i++)
		if (l->stmts[i].sql == sql && !l->stmts[i].busy) {
			l->stmts[i].busy = 1;
			return l->stmts[i].st;
		}
	if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (l->nr_stmts < STMT_CACHE_MAX) {
		l->stmts[l->nr_stmts].sql = sql;
		l->stmts[l->nr_stmts].st = st;
		l->stmts[l->nr_stmts++].busy = 1;
	}
	return st;
}

/* Gives st back: a cached statement is reset for its next use, another one finalized. */
static void stmt_done(struct ledger *l, sqlite3_stmt *st)
{
	size_t i;
	if (!st)
		return;
	for (i = 0; i < l->nr_stmts; i++)
		if (l->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			l->stmts[i].busy = 0;
			return;
		}
	stmt_done(l, st);
}

/* Prepares sql (a string literal); binds the arguments described by types ('t' text, 'i'
 * int64). Give the statement back with stmt_done. */
static sqlite3_stmt *prepare(struct ledger *l, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i;
	st = stmt_get(l, sql);
	if (!st)
		return NULL;
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		int rc;
		if (types[i] == 't') {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i + 1);
		} else {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		}
		if (rc != SQLITE_OK) {
			stmt_done(l, st);
			st = NULL;
			break;
		}
	}
	va_end(ap);
	return st;
}

/* Runs a statement that returns no rows. */
static enum ledger_result run_stmt(struct ledger *l, sqlite3_stmt *st)
{
	enum ledger_result ret;
	if (!st)
		return LEDGER_ERR_SQL;
	if (l->batching && !l->in_txn) {
		if (exec_sql(l, "BEGIN")) {
			stmt_done(l, st);
			return LEDGER_ERR_SQL;
		}
		l->in_txn = 1;
	}
	ret = sqlite3_step(st) == SQLITE_DONE ? LEDGER_OK : LEDGER_ERR_SQL;
	stmt_done(l, st);
	return ret;
}

static enum ledger_result take_lock(const char *path, int *fd_out, struct strbuf *err)
{
	struct strbuf lock_path = STRBUF_INIT, holder = STRBUF_INIT;
	enum ledger_result ret = LEDGER_OK;
	char pid_text[32];
	int fd = -1;

	strbuf_addf(&lock_path, "%s.lock", path);
	/* O_NOFOLLOW: a symlink planted at the lock's name cannot make us truncate its target */
	fd = open(lock_path.buf, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s%s", lock_path.buf, strerror(errno),
			    errno == ELOOP ? " (a symbolic link: policyctl does not follow links "
			    "for its ledger; remove it)" : "");
		ret = LEDGER_ERR_IO;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			strbuf_read_file(&holder, lock_path.buf, 64);
			strbuf_trim(&holder);
			strbuf_addf(err, "ledger '%s' is in use by another policyctl (pid %s): "
				    "wait for it to finish, or stop it and rerun to resume",
				    path, holder.len ? holder.buf : "unknown");
			ret = LEDGER_ERR_BUSY;
		} else {
			strbuf_addf(err, "cannot lock '%s': %s", lock_path.buf, strerror(errno));
			ret = LEDGER_ERR_IO;
		}
		goto out;
	}
	/* The pid is information for the message above; the flock is what excludes. */
	snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid_text, strlen(pid_text), 0) < 0)
		msg_warning("cannot record pid in '%s': %s", lock_path.buf, strerror(errno));
out:
	if (ret != LEDGER_OK && fd >= 0) {
		close(fd);
		fd = -1;
	}
	*fd_out = fd;
	strbuf_release(&lock_path);
	strbuf_release(&holder);
	return ret;
}

/* chmod 0600, unless path is a symlink (whose target is not ours to change). */
static void chmod_plain(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		chmod(path, 0600);
}

static enum ledger_result open_db(const char *path, int readonly, struct ledger **out,
				  struct strbuf *err)
{
	struct ledger *l = xcalloc(1, sizeof(*l));
	enum ledger_result ret = LEDGER_OK;
	int fd, version = 0;
	sqlite3_stmt *st;

	l->lock_fd = -1;
	if (!readonly) {
		ret = take_lock(path, &l->lock_fd, err);
		if (ret)
			goto out;
		/* Create with 0600 ourselves: SQLite would use the umask (often 0644). */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			strbuf_addf(err, "cannot create '%s': %s%s", path, strerror(errno),
				    errno == ELOOP ? " (a symbolic link: policyctl does not follow "
				    "links for its ledger; point [run] ledger at the file itself)" : "");
			ret = LEDGER_ERR_IO;
			goto out;
		}
		if (fchmod(fd, 0600) < 0)
			msg_warning("cannot set mode 0600 on '%s': %s", path, strerror(errno));
		close(fd);
	} else if (access(path, R_OK) < 0) {
		strbuf_addf(err, "cannot read ledger '%s': %s", path, strerror(errno));
		ret = LEDGER_ERR_IO;
		goto out;
	}
	if (sqlite3_open_v2(path, &l->db,
			    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		strbuf_addf(err, "cannot open ledger '%s': %s", path, ledger_errmsg(l));
		ret = LEDGER_ERR_IO;
		goto out;
	}
	sqlite3_busy_timeout(l->db, 5000);
	if (!readonly) {
		if (exec_sql(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") ||
		    exec_sql(l, schema)) {
			strbuf_addf(err, "cannot initialise ledger '%s': %s", path, ledger_errmsg(l));
			ret = LEDGER_ERR_SQL;
			goto out;
		}
	}
	st = prepare(l, "PRAGMA user_version", "");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	stmt_done(l, st);
	if (version > LEDGER_SCHEMA_VERSION) {
		strbuf_addf(err, "ledger '%s' has schema version %d, newer than this policyctl "
			    "understands (%d)", path, version, LEDGER_SCHEMA_VERSION);
		ret = LEDGER_ERR_SQL;
		goto out;
	}
	if (!readonly && version < LEDGER_SCHEMA_VERSION)
		exec_sql(l, "PRAGMA user_version=1");
	if (readonly) {
		/* A file that is not a ledger fails here rather than in the first query. */
		st = prepare(l, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
			     " ('runs', 'writes', 'tasks', 'scans', 'failures', 'notes')", "");
		if (!st || sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 6) {
			strbuf_addf(err, "'%s' is not a policyctl ledger%s%s", path,
				    st ? "" : ": ", st ? "" : ledger_errmsg(l));
			ret = LEDGER_ERR_SQL;
		}
		stmt_done(l, st);
	}
	/* The WAL and shm files must not be more readable than the ledger itself. */
	if (!readonly) {
		struct strbuf side = STRBUF_INIT;
		strbuf_addf(&side, "%s-wal", path);
		chmod_plain(side.buf);
		strbuf_reset(&side);
		strbuf_addf(&side, "%s-shm", path);
		chmod_plain(side.buf);
		strbuf_release(&side);
	}
out:
	if (ret) {
		ledger_close(l);
		l = NULL;
	}
	*out = l;
	return ret;
}

enum ledger_result ledger_open(const char *path, struct ledger **out, struct strbuf *err)
{
	return open_db(path, 0, out, err);
}

enum ledger_result ledger_open_readonly(const char *path, struct ledger **out, struct strbuf *err)
{
	return open_db(path, 1, out, err);
}

void ledger_batch_start(struct ledger *l)
{
	l->batching = 1;
}

enum ledger_result ledger_batch_flush(struct ledger *l)
{
	if (!l || !l->in_txn)
		return LEDGER_OK;
	l->in_txn = 0;
	if (exec_sql(l, "COMMIT") == LEDGER_OK)
		return LEDGER_OK;
	/* not committed: drop the batch rather than leave it for a later commit to carry */
	if (!sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return LEDGER_ERR_SQL;
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	ledger_batch_flush(l);
	for (size_t i = 0; i < l->nr_stmts; i++)
		sqlite3_finalize(l->stmts[i].st);
	if (l->db)
		sqlite3_close(l->db);
	if (l->lock_fd >= 0)
		close(l->lock_fd); /* releases the flock */
	free(l);
}

/* ---- runs ---- */

#define RUN_COLUMNS "id, uid, command, scope, phase, state, started_ms, updated_ms, finished_ms, pid"

static enum ledger_result run_from_row(struct ledger *l, sqlite3_stmt *st, struct ledger_run *run)
{
	const unsigned char *phase = sqlite3_column_text(st, 4), *state = sqlite3_column_text(st, 5);
	if (ledger_phase_parse((const char *)phase, &run->phase))
		return format_error(l, "run phase", phase);
	if (ledger_run_state_parse((const char *)state, &run->state))
		return format_error(l, "run state", state);
	run->id = sqlite3_column_int64(st, 0);
	run->uid = dup_or_empty(sqlite3_column_text(st, 1));
	run->command = dup_or_empty(sqlite3_column_text(st, 2));
	run->scope = dup_or_empty(sqlite3_column_text(st, 3));
	run->started_ms = sqlite3_column_int64(st, 6);
	run->updated_ms = sqlite3_column_int64(st, 7);
	run->finished_ms = sqlite3_column_int64(st, 8);
	run->pid = sqlite3_column_int(st, 9);
	return LEDGER_OK;
}

static enum ledger_result run_query(struct ledger *l, sqlite3_stmt *st, struct ledger_run *run)
{
	enum ledger_result ret;
	int rc;
	memset(run, 0, sizeof(*run));
	l->format_error[0] = '\0';
	if (!st)
		return LEDGER_ERR_SQL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = run_from_row(l, st, run);
	} else {
		ret = rc == SQLITE_DONE ? LEDGER_ERR_NOT_FOUND : LEDGER_ERR_SQL;
	}
	stmt_done(l, st);
	return ret;
}

enum ledger_result ledger_run_resumable(struct ledger *l, const char *scope, struct ledger_run *run)
{
	return run_query(l, prepare(l, "SELECT " RUN_COLUMNS " FROM runs WHERE scope = ?1 AND "
				 "state IN ('running','open','interrupted','timeout') ORDER BY id DESC LIMIT 1",
				 "t", scope), run);
}

enum ledger_result ledger_run_latest(struct ledger *l, struct ledger_run *run)
{
	return run_query(l, prepare(l, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT 1", ""),
			 run);
}

enum ledger_result ledger_run_latest_of_scope(struct ledger *l, const char *scope,
					      struct ledger_run *run)
{
	return run_query(l, prepare(l, "SELECT " RUN_COLUMNS " FROM runs WHERE scope = ?1"
				    " ORDER BY id DESC LIMIT 1", "t", scope), run);
}

enum ledger_result ledger_run_get(struct ledger *l, int64_t id, struct ledger_run *run)
{
	return run_query(l, prepare(l, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1", "i", id), run);
}

enum ledger_result ledger_run_begin(struct ledger *l, const char *command, const char *scope,
				    struct ledger_run *run)
{
	unsigned char raw[8];
	char uid[17];
	size_t i;
	int64_t now = ledger_now_ms();
	enum ledger_result ret;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		/* Uniqueness across runs is all we need; time and pid give it without OpenSSL. */
		uint64_t v = (uint64_t)now ^ ((uint64_t)getpid() << 40);
		memcpy(raw, &v, sizeof(raw));
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(uid + 2 * i, 3, "%02x", raw[i]);
	ret = run_stmt(l, prepare(l, "INSERT INTO runs (uid, command, scope, phase, state, started_ms,"
			       " updated_ms, pid) VALUES (?1, ?2, ?3, 'start', 'running', ?4, ?4, ?5)",
			       "tttii", uid, command, scope, now, (int64_t)getpid()));
	if (ret)
		return ret;
	return ledger_run_get(l, sqlite3_last_insert_rowid(l->db), run);
}

enum ledger_result ledger_run_resume(struct ledger *l, int64_t run_id)
{
	return run_stmt(l, prepare(l, "UPDATE runs SET state = 'running', finished_ms = 0, pid = ?2,"
				" updated_ms = ?3 WHERE id = ?1", "iii", run_id, (int64_t)getpid(),
				ledger_now_ms()));
}

enum ledger_result ledger_run_set_phase(struct ledger *l, int64_t run_id, enum ledger_phase phase)
{
	return run_stmt(l, prepare(l, "UPDATE runs SET phase = ?2, updated_ms = ?3 WHERE id = ?1",
				"iti", run_id, ledger_phase_name(phase), ledger_now_ms()));
}

enum ledger_result ledger_run_set_state(struct ledger *l, int64_t run_id,
					enum ledger_run_state state)
{
	int64_t now = ledger_now_ms();
	int final = state == LEDGER_RUN_SUCCEEDED || state == LEDGER_RUN_FAILED;
	return run_stmt(l, prepare(l, "UPDATE runs SET state = ?2, updated_ms = ?3, finished_ms = ?4"
				" WHERE id = ?1", "itii", run_id, ledger_run_state_name(state), now,
				final ? now : (int64_t)0));
}

void ledger_run_release(struct ledger_run *run)
{
	free(run->uid);
	free(run->command);
	free(run->scope);
	memset(run, 0, sizeof(*run));
}

/* ---- writes ---- */

enum ledger_result ledger_write_intent(struct ledger *l, int64_t run_id, const char *method,
				       const char *resource_id, const char *body_digest,
				       int64_t *write_id)
{
	enum ledger_result ret;
	ret = run_stmt(l, prepare(l, "INSERT INTO writes (run_id, method, resource_id, body_digest,"
			       " outcome, intent_ms) VALUES (?1, ?2, ?3, ?4, 'intent', ?5)",
			       "ittti", run_id, method,
			       resource_id, body_digest ? body_digest : "", ledger_now_ms()));
	*write_id = ret ? 0 : sqlite3_last_insert_rowid(l->db);
	return ret;
}

enum ledger_result ledger_write_outcome(struct ledger *l, int64_t write_id, int ok, int status,
					const char *request_id, const char *code,
					const char *message)
{
	char *clean = redacted(message);
	enum ledger_result ret;
	ret = run_stmt(l, prepare(l, "UPDATE writes SET outcome = ?2, status = ?3, request_id = ?4,"
			       " code = ?5, message = ?6, outcome_ms = ?7 WHERE id = ?1",
			       "itittti", write_id, ok ? "ok" : "failed", (int64_t)status,
			       request_id, code, clean, ledger_now_ms()));
	free(clean);
	return ret;
}

enum ledger_result ledger_write_stats(struct ledger *l, int64_t run_id,
				      struct ledger_write_stats *stats)
{
	sqlite3_stmt *st = prepare(l, "SELECT count(*), coalesce(sum(outcome = 'ok'), 0),"
				   " coalesce(sum(outcome = 'failed'), 0),"
				   " coalesce(sum(outcome = 'intent'), 0) FROM writes WHERE run_id = ?1",
				   "i", run_id);
	enum ledger_result ret = LEDGER_ERR_SQL;
	memset(stats, 0, sizeof(*stats));
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		stats->intents = (long)sqlite3_column_int64(st, 0);
		stats->succeeded = (long)sqlite3_column_int64(st, 1);
		stats->failed = (long)sqlite3_column_int64(st, 2);
		stats->pending = (long)sqlite3_column_int64(st, 3);
		ret = LEDGER_OK;
	}
	stmt_done(l, st);
	return ret;
}

/* ---- tasks ---- */

char *ledger_task_name(const char *run_uid, const char *scope, const char *reference_id)
{
	char hex[DIGEST_SHA256_HEX_SIZE];
	struct strbuf key = STRBUF_INIT, name = STRBUF_INIT;
	const char *p;

	/* ARM ids are case-insensitive: the same scope spelled differently is the same task. */
	for (p = scope; *p; p++)
		strbuf_addch(&key, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	strbuf_addch(&key, '\n');
	strbuf_addstr(&key, reference_id);
	digest_sha256_hex(key.buf, key.len, hex);
	strbuf_addf(&name, "policyctl-%s-%.12s", run_uid, hex);
	strbuf_release(&key);
	return strbuf_detach(&name, NULL);
}

enum ledger_result ledger_task_plan(struct ledger *l, int64_t run_id, const struct ledger_task *task)
{
	return run_stmt(l, prepare(l, "INSERT OR IGNORE INTO tasks (run_id, name, scope, assignment_id,"
				" reference_id, discovery, state, updated_ms)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7)", /* LEDGER_TASK_QUEUED */
				"ittttti", run_id, task->name, task->scope, task->assignment_id,
				task->reference_id, task->discovery, ledger_now_ms()));
}

enum ledger_result ledger_task_update(struct ledger *l, int64_t run_id, const char *name,
				      const char *state, long total, long succeeded, long failed)
{
	return run_stmt(l, prepare(l, "UPDATE tasks SET state = ?3, total = ?4, succeeded = ?5,"
				" failed = ?6, updated_ms = ?7 WHERE run_id = ?1 AND name = ?2",
				"ittiiii", run_id, name, state, (int64_t)total, (int64_t)succeeded,
				(int64_t)failed, ledger_now_ms()));
}

enum ledger_result ledger_task_list(struct ledger *l, int64_t run_id, struct ledger_task **tasks,
				    size_t *nr)
{
	sqlite3_stmt *st = prepare(l, "SELECT name, scope, assignment_id, reference_id, discovery,"
				   " state, total, succeeded, failed, updated_ms FROM tasks"
				   " WHERE run_id = ?1 ORDER BY scope, name", "i", run_id);
	struct ledger_task *list = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*tasks = NULL;
	*nr = 0;
	if (!st)
		return LEDGER_ERR_SQL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ledger_task *t;
		ALLOC_GROW(list, n + 1, alloc);
		t = &list[n++];
		t->name = dup_or_empty(sqlite3_column_text(st, 0));
		t->scope = dup_or_empty(sqlite3_column_text(st, 1));
		t->assignment_id = dup_or_empty(sqlite3_column_text(st, 2));
		t->reference_id = dup_or_empty(sqlite3_column_text(st, 3));
		t->discovery = dup_or_empty(sqlite3_column_text(st, 4));
		t->state = dup_or_empty(sqlite3_column_text(st, 5));
		t->total = (long)sqlite3_column_int64(st, 6);
		t->succeeded = (long)sqlite3_column_int64(st, 7);
		t->failed = (long)sqlite3_column_int64(st, 8);
		t->updated_ms = sqlite3_column_int64(st, 9);
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		ledger_tasks_free(list, n);
		return LEDGER_ERR_SQL;
	}
	*tasks = list;
	*nr = n;
	return LEDGER_OK;
}

void ledger_task_release(struct ledger_task *task)
{
	free(task->name);
	free(task->scope);
	free(task->assignment_id);
	free(task->reference_id);
	free(task->discovery);
	free(task->state);
	memset(task, 0, sizeof(*task));
}

void ledger_tasks_free(struct ledger_task *tasks, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++)
		ledger_task_release(&tasks[i]);
	free(tasks);
}

/* ---- scans ---- */

enum ledger_result ledger_scan_set(struct ledger *l, int64_t run_id, const char *subscription,
				   const char *state, const char *location)
{
	return run_stmt(l, prepare(l, "INSERT INTO scans (run_id, subscription, state, location,"
				" updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, subscription)"
				" DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms,"
				" location = coalesce(excluded.location, location)",
				"ittti", run_id, subscription, state, location,
				ledger_now_ms()));
}

enum ledger_result ledger_scan_list(struct ledger *l, int64_t run_id, struct ledger_scan **scans,
				    size_t *nr)
{
	sqlite3_stmt *st = prepare(l, "SELECT subscription, state, location, updated_ms FROM scans"
				   " WHERE run_id = ?1 ORDER BY subscription", "i", run_id);
	struct ledger_scan *list = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*scans = NULL;
	*nr = 0;
	if (!st)
		return LEDGER_ERR_SQL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(list, n + 1, alloc);
		list[n].subscription = dup_or_empty(sqlite3_column_text(st, 0));
		list[n].state = dup_or_empty(sqlite3_column_text(st, 1));
		list[n].location = dup_or_null(sqlite3_column_text(st, 2));
		list[n].updated_ms = sqlite3_column_int64(st, 3);
		n++;
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		ledger_scans_free(list, n);
		return LEDGER_ERR_SQL;
	}
	*scans = list;
	*nr = n;
	return LEDGER_OK;
}

void ledger_scans_free(struct ledger_scan *scans, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(scans[i].subscription);
		free(scans[i].state);
		free(scans[i].location);
	}
	free(scans);
}

enum ledger_result ledger_scan_clear(struct ledger *l, int64_t run_id)
{
	return run_stmt(l, prepare(l, "DELETE FROM scans WHERE run_id = ?1", "i", run_id));
}

/* ---- failures ---- */

enum ledger_result ledger_failure_add(struct ledger *l, int64_t run_id,
				      enum ledger_failure_kind kind,
				      const char *subject, const char *code, const char *message,
				      const char *request_id, const char *correlation_id)
{
	char *clean = redacted(message);
	enum ledger_result ret;
	ret = run_stmt(l, prepare(l, "INSERT INTO failures (run_id, kind, subject, code, message,"
			       " request_id, correlation_id, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       "itttttti", run_id, ledger_failure_kind_name(kind), subject, code,
			       clean, request_id, correlation_id, ledger_now_ms()));
	free(clean);
	return ret;
}

enum ledger_result ledger_failure_clear(struct ledger *l, int64_t run_id,
					enum ledger_failure_kind kind)
{
	return run_stmt(l, prepare(l, "DELETE FROM failures WHERE run_id = ?1 AND kind = ?2", "it",
				run_id, ledger_failure_kind_name(kind)));
}

enum ledger_result ledger_failure_list(struct ledger *l, int64_t run_id,
				       struct ledger_failure **failures, size_t *nr)
{
	sqlite3_stmt *st = prepare(l, "SELECT kind, subject, code, message, request_id,"
				   " correlation_id, at_ms FROM failures WHERE run_id = ?1 ORDER BY id",
				   "i", run_id);
	struct ledger_failure *list = NULL;
	size_t n = 0, alloc = 0;
	enum ledger_failure_kind kind;
	int rc;

	*failures = NULL;
	*nr = 0;
	l->format_error[0] = '\0';
	if (!st)
		return LEDGER_ERR_SQL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ledger_failure *f;
		if (ledger_failure_kind_parse((const char *)sqlite3_column_text(st, 0), &kind)) {
			format_error(l, "failure kind", sqlite3_column_text(st, 0));
			stmt_done(l, st);
			ledger_failures_free(list, n);
			return LEDGER_ERR_FORMAT;
		}
		ALLOC_GROW(list, n + 1, alloc);
		f = &list[n++];
		f->kind = kind;
		f->subject = dup_or_empty(sqlite3_column_text(st, 1));
		f->code = dup_or_empty(sqlite3_column_text(st, 2));
		f->message = dup_or_empty(sqlite3_column_text(st, 3));
		f->request_id = dup_or_empty(sqlite3_column_text(st, 4));
		f->correlation_id = dup_or_empty(sqlite3_column_text(st, 5));
		f->at_ms = sqlite3_column_int64(st, 6);
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		ledger_failures_free(list, n);
		return LEDGER_ERR_SQL;
	}
	*failures = list;
	*nr = n;
	return LEDGER_OK;
}

void ledger_failures_free(struct ledger_failure *failures, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(failures[i].subject);
		free(failures[i].code);
		free(failures[i].message);
		free(failures[i].request_id);
		free(failures[i].correlation_id);
	}
	free(failures);
}

/* ---- deployments per subscription ---- */

enum ledger_result ledger_task_sub_counts_set(struct ledger *l, int64_t run_id, const char *task,
					      const char *subscription, long succeeded, long failed)
{
	return run_stmt(l, prepare(l, "INSERT INTO task_subs (run_id, task, subscription, succeeded,"
				" failed) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, task, subscription)"
				" DO UPDATE SET succeeded = excluded.succeeded, failed = excluded.failed",
				"ittii", run_id, task, subscription, (int64_t)succeeded, (int64_t)failed));
}

enum ledger_result ledger_sub_counts_list(struct ledger *l, int64_t run_id,
					  struct ledger_sub_counts **out, size_t *nr)
{
	sqlite3_stmt *st = prepare(l, "SELECT subscription, sum(succeeded), sum(failed) FROM task_subs"
				   " WHERE run_id = ?1 GROUP BY lower(subscription) ORDER BY 1", "i", run_id);
	struct ledger_sub_counts *list = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*nr = 0;
	if (!st)
		return LEDGER_OK; /* a ledger from before this table: nothing recorded */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(list, n + 1, alloc);
		list[n].subscription = dup_or_empty(sqlite3_column_text(st, 0));
		list[n].succeeded = (long)sqlite3_column_int64(st, 1);
		list[n].failed = (long)sqlite3_column_int64(st, 2);
		n++;
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		ledger_sub_counts_free(list, n);
		return LEDGER_ERR_SQL;
	}
	*out = list;
	*nr = n;
	return LEDGER_OK;
}

void ledger_sub_counts_free(struct ledger_sub_counts *counts, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++)
		free(counts[i].subscription);
	free(counts);
}

/* ---- notes ---- */

enum ledger_result ledger_note_set(struct ledger *l, int64_t run_id, const char *key, const char *value)
{
	return run_stmt(l, prepare(l, "INSERT INTO notes (run_id, key, value) VALUES (?1, ?2, ?3)"
				" ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
				"itt", run_id, key, value));
}

enum ledger_result ledger_note_get(struct ledger *l, int64_t run_id, const char *key, char **value)
{
	sqlite3_stmt *st = prepare(l, "SELECT value FROM notes WHERE run_id = ?1 AND key = ?2",
				   "it", run_id, key);
	enum ledger_result ret = LEDGER_ERR_SQL;
	int rc;
	*value = NULL;
	if (!st)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = dup_or_null(sqlite3_column_text(st, 0));
		ret = LEDGER_OK;
	} else if (rc == SQLITE_DONE) {
		ret = LEDGER_ERR_NOT_FOUND;
	}
	stmt_done(l, st);
	return ret;
}

/* ---- progress points ---- */

enum ledger_result ledger_progress_record(struct ledger *l, int64_t run_id)
{
	/* the sums over the run's tasks, inserted only when they differ from the last point */
	return run_stmt(l, prepare(l,
		"INSERT INTO progress (run_id, at_ms, tasks, total, succeeded, failed)"
		" SELECT ?1, ?2, s.n, s.t, s.ok, s.bad FROM"
		" (SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS t, COALESCE(SUM(succeeded), 0) AS ok,"
		"  COALESCE(SUM(failed), 0) AS bad FROM tasks WHERE run_id = ?1) AS s"
		" WHERE NOT EXISTS (SELECT 1 FROM (SELECT tasks, total, succeeded, failed FROM progress"
		"  WHERE run_id = ?1 ORDER BY id DESC LIMIT 1) AS last"
		"  WHERE last.tasks = s.n AND last.total = s.t AND last.succeeded = s.ok"
		"  AND last.failed = s.bad)",
		"ii", run_id, ledger_now_ms()));
}

enum ledger_result ledger_progress_list(struct ledger *l, int64_t run_id,
					struct ledger_progress_point **points, size_t *nr)
{
	sqlite3_stmt *st = prepare(l, "SELECT at_ms, tasks, total, succeeded, failed FROM progress"
				   " WHERE run_id = ?1 ORDER BY id", "i", run_id);
	struct ledger_progress_point *list = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*points = NULL;
	*nr = 0;
	if (!st)
		return LEDGER_OK; /* a ledger from before this table: nothing recorded */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(list, n + 1, alloc);
		list[n].at_ms = sqlite3_column_int64(st, 0);
		list[n].tasks = (long)sqlite3_column_int64(st, 1);
		list[n].total = (long)sqlite3_column_int64(st, 2);
		list[n].succeeded = (long)sqlite3_column_int64(st, 3);
		list[n].failed = (long)sqlite3_column_int64(st, 4);
		n++;
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		free(list);
		return LEDGER_ERR_SQL;
	}
	*points = list;
	*nr = n;
	return LEDGER_OK;
}

/* ---- fix: one row per app a fix run touched ---- */

enum ledger_result ledger_fix_set(struct ledger *l, int64_t run_id, const char *resource_id,
				  const char *tier, long batch, const char *state, const char *reason)
{
	char *clean = reason ? redacted(reason) : NULL;
	enum ledger_result ret;
	ret = run_stmt(l, prepare(l, "INSERT INTO fixes (run_id, resource_id, tier, batch, state, reason,"
			       " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (run_id,"
			       " resource_id) DO UPDATE SET tier = excluded.tier, batch = excluded.batch,"
			       " state = excluded.state, reason = excluded.reason,"
			       " updated_ms = excluded.updated_ms",
			       "ittitti", run_id, resource_id, tier, (int64_t)batch, state, clean,
			       ledger_now_ms()));
	free(clean);
	return ret;
}

enum ledger_result ledger_fix_list(struct ledger *l, int64_t run_id, struct ledger_fix **fixes,
				   size_t *nr)
{
	sqlite3_stmt *st;
	struct ledger_fix *list = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*fixes = NULL;
	*nr = 0;
	/* a ledger written before fix existed has no table: it has no fixes either */
	st = prepare(l, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'fixes'", "");
	if (!st)
		return LEDGER_ERR_SQL;
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	stmt_done(l, st);
	if (!rc)
		return LEDGER_OK;
	st = prepare(l, "SELECT resource_id, tier, batch, state, reason, updated_ms FROM fixes"
		     " WHERE run_id = ?1 ORDER BY batch, resource_id", "i", run_id);
	if (!st)
		return LEDGER_ERR_SQL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(list, n + 1, alloc);
		list[n].resource_id = dup_or_empty(sqlite3_column_text(st, 0));
		list[n].tier = dup_or_empty(sqlite3_column_text(st, 1));
		list[n].batch = (long)sqlite3_column_int64(st, 2);
		list[n].state = dup_or_empty(sqlite3_column_text(st, 3));
		list[n].reason = dup_or_empty(sqlite3_column_text(st, 4));
		list[n].updated_ms = sqlite3_column_int64(st, 5);
		n++;
	}
	stmt_done(l, st);
	if (rc != SQLITE_DONE) {
		ledger_fixes_free(list, n);
		return LEDGER_ERR_SQL;
	}
	*fixes = list;
	*nr = n;
	return LEDGER_OK;
}

void ledger_fixes_free(struct ledger_fix *fixes, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(fixes[i].resource_id);
		free(fixes[i].tier);
		free(fixes[i].state);
		free(fixes[i].reason);
	}
	free(fixes);
}
