/*
 * msg — the message module (see msg.h).
 *
 * One mutex guards the secret list and the output streams, so lines from the HTTP engine's
 * callbacks and armsim's server threads never interleave mid-line.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Secrets shorter than this are redacted only where they stand as a whole word. */
#define WHOLE_WORD_BELOW 6

/* One form a secret may take in text: as given, URL-encoded, JSON-escaped. */
struct secret_form {
	char *text;     /* owned */
	int whole_word; /* only where not inside a longer run of letters and digits */
};

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *program = "policyctl";
static enum msg_verbosity verbosity = MSG_NORMAL;
static FILE *log_file;
static struct secret_form *secrets;
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

/* Caller holds msg_lock. */
static void add_form_locked(const char *text, int whole_word)
{
	size_t i;
	for (i = 0; i < nr_secrets; i++)
		if (!strcmp(secrets[i].text, text))
			return;
	ALLOC_GROW(secrets, nr_secrets + 1, alloc_secrets);
	secrets[nr_secrets].text = xstrdup(text);
	secrets[nr_secrets].whole_word = whole_word;
	nr_secrets++;
}

/* s as it appears inside a JSON string; escape_slash writes "/" as "\/" as some encoders do. */
static void add_json_escaped(struct strbuf *sb, const char *s, int escape_slash)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\' || (c == '/' && escape_slash))
			strbuf_addf(sb, "\\%c", c);
		else if (c == '\n')
			strbuf_addstr(sb, "\\n");
		else if (c == '\r')
			strbuf_addstr(sb, "\\r");
		else if (c == '\t')
			strbuf_addstr(sb, "\\t");
		else if (c < 0x20)
			strbuf_addf(sb, "\\u%04x", c);
		else
			strbuf_addch(sb, c);
	}
}

void msg_add_secret(const char *secret)
{
	struct strbuf form = STRBUF_INIT;
	size_t i;
	int whole_word;
	if (!secret || !*secret)
		return;
	whole_word = strlen(secret) < WHOLE_WORD_BELOW;
	pthread_mutex_lock(&msg_lock);
	add_form_locked(secret, whole_word);
	/* in a query string or form body: %XX, lowercase %xx, and + for a space */
	strbuf_add_urlencoded(&form, secret);
	add_form_locked(form.buf, whole_word);
	for (i = 0; i < form.len; i++)
		if (form.buf[i] == '%' && i + 2 < form.len) {
			form.buf[i + 1] = (char)tolower((unsigned char)form.buf[i + 1]);
			form.buf[i + 2] = (char)tolower((unsigned char)form.buf[i + 2]);
		}
	add_form_locked(form.buf, whole_word);
	if (strchr(secret, ' ')) {
		strbuf_reset(&form);
		strbuf_add_urlencoded(&form, secret);
		for (i = 0; i + 2 < form.len; i++)
			if (!strncmp(form.buf + i, "%20", 3)) {
				form.buf[i] = '+';
				memmove(form.buf + i + 1, form.buf + i + 3, form.len - i - 2);
				form.len -= 2;
			}
		add_form_locked(form.buf, whole_word);
	}
	/* inside a JSON string (a body echoed in an error, the ledger) */
	strbuf_reset(&form);
	add_json_escaped(&form, secret, 0);
	add_form_locked(form.buf, whole_word);
	strbuf_reset(&form);
	add_json_escaped(&form, secret, 1);
	add_form_locked(form.buf, whole_word);
	pthread_mutex_unlock(&msg_lock);
	strbuf_release(&form);
}

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Caller holds msg_lock. Scans on after each replacement, so "[REDACTED]" is never rescanned. */
static void redact_locked(struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < nr_secrets; i++) {
		const struct secret_form *f = &secrets[i];
		size_t n = strlen(f->text), from = 0;
		char *hit;
		while (from <= sb->len && (hit = strstr(sb->buf + from, f->text))) {
			struct strbuf rest = STRBUF_INIT;
			size_t at = (size_t)(hit - sb->buf);
			if (f->whole_word && ((at > 0 && is_word_char(sb->buf[at - 1])) ||
					      is_word_char(sb->buf[at + n]))) {
				from = at + 1;
				continue;
			}
			strbuf_addstr(&rest, hit + n);
			strbuf_setlen(sb, at);
			strbuf_addstr(sb, "[REDACTED]");
			from = sb->len;
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
	if (prefix) {
		/* a message may quote a server or a file: no control character reaches the
		 * terminal (an escape sequence could rewrite what was printed before) */
		struct strbuf text = STRBUF_INIT;
		strbuf_vaddf(&text, fmt, ap);
		strbuf_addf(&sb, "%s: %s", program, prefix);
		strbuf_add_escaped(&sb, text.buf, text.len, 1);
		strbuf_release(&text);
	} else {
		strbuf_vaddf(&sb, fmt, ap);
	}
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
	if (text)
		strbuf_add_escaped(sb, text, strlen(text), 0);
}
