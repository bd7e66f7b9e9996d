/*
 * msg — the message module (see msg.h).
 *
 * One mutex guards the secret list and the output streams, so lines from the HTTP engine's
 * callbacks and armsim's server threads never interleave mid-line.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MIN_SECRET_LEN 6

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *program = "policyctl";
static enum msg_verbosity verbosity = MSG_NORMAL;
static FILE *log_file;
static char **secrets;
static size_t nr_secrets, alloc_secrets;

void msg_set_program(const char *name)
{
	program = name;
}

void msg_set_verbosity(enum msg_verbosity level)
{
	verbosity = level;
}

enum msg_verbosity msg_verbosity(void)
{
	return verbosity;
}

void msg_set_log(FILE *log)
{
	pthread_mutex_lock(&msg_lock);
	log_file = log;
	pthread_mutex_unlock(&msg_lock);
}

void msg_add_secret(const char *secret)
{
	size_t i;
	if (!secret || strlen(secret) < MIN_SECRET_LEN)
		return;
	pthread_mutex_lock(&msg_lock);
	for (i = 0; i < nr_secrets; i++)
		if (!strcmp(secrets[i], secret))
			goto out;
	ALLOC_GROW(secrets, nr_secrets + 1, alloc_secrets);
	secrets[nr_secrets++] = xstrdup(secret);
out:
	pthread_mutex_unlock(&msg_lock);
}

/* Caller holds msg_lock. */
static void redact_locked(struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < nr_secrets; i++) {
		const char *secret = secrets[i];
		size_t n = strlen(secret);
		char *hit;
		while ((hit = strstr(sb->buf, secret))) {
			struct strbuf rest = STRBUF_INIT;
			size_t at = (size_t)(hit - sb->buf);
			strbuf_addstr(&rest, hit + n);
			strbuf_setlen(sb, at);
			strbuf_addstr(sb, "[REDACTED]");
			strbuf_add(sb, rest.buf, rest.len);
			strbuf_release(&rest);
		}
	}
}

void msg_redact_into(const char *s, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, s);
	pthread_mutex_lock(&msg_lock);
	redact_locked(&sb);
	pthread_mutex_unlock(&msg_lock);
	*out = strbuf_detach(&sb, NULL);
}

static void emit(FILE *stream, const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	if (prefix)
		strbuf_addf(&sb, "%s: %s", program, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	/* Messages are whole lines; result output (no prefix) is written as given. */
	if (prefix && (!sb.len || sb.buf[sb.len - 1] != '\n'))
		strbuf_addch(&sb, '\n');
	pthread_mutex_lock(&msg_lock);
	redact_locked(&sb);
	fwrite(sb.buf, 1, sb.len, stream);
	fflush(stream);
	if (log_file && prefix) { /* messages, not result output */
		fwrite(sb.buf, 1, sb.len, log_file);
		fflush(log_file);
	}
	pthread_mutex_unlock(&msg_lock);
	strbuf_release(&sb);
}

#define EMIT(stream, prefix)                      \
	do {                                      \
		va_list ap;                       \
		va_start(ap, fmt);                \
		emit((stream), (prefix), fmt, ap); \
		va_end(ap);                       \
	} while (0)

void msg_error(const char *fmt, ...)
{
	EMIT(stderr, "error: ");
}

void msg_warning(const char *fmt, ...)
{
	EMIT(stderr, "warning: ");
}

void msg_note(const char *fmt, ...)
{
	if (verbosity >= MSG_NORMAL)
		EMIT(stderr, "");
}

void msg_debug(const char *fmt, ...)
{
	if (verbosity >= MSG_VERBOSE)
		EMIT(stderr, "debug: ");
}

void msg_out(const char *fmt, ...)
{
	EMIT(stdout, NULL);
}

void msg_print(FILE *out, const char *fmt, ...)
{
	EMIT(out, NULL);
}

void msg_escape_into(struct strbuf *sb, const char *text)
{
	const unsigned char *p;
	for (p = (const unsigned char *)(text ? text : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else
			strbuf_addch(sb, (char)*p);
	}
}
