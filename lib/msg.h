/*
 * msg — everything a user or a log sees goes through here.
 *
 * Messages are lowercase, without a full stop, error first and subject quoted:
 *   policyctl: error: cannot read 'landing-zone.ini': No such file or directory
 * Errors and warnings always print; notes are silenced by -q; debug lines need -v.
 * Every message passes through the redactor: a secret registered with msg_add_secret is
 * replaced by "[REDACTED]" wherever it appears, so a token that slips into an error text
 * still never reaches the terminal or a log. Thread-safe.
 */
#ifndef MSG_H
#define MSG_H

#include <stdio.h>

#include "lib/strbuf.h"

enum msg_verbosity {
	MSG_QUIET = 0,   /* errors and warnings only */
	MSG_NORMAL = 1,  /* plus notes */
	MSG_VERBOSE = 2, /* plus debug lines (requests, timings) */
};

void msg_set_program(const char *name);  /* borrowed; must outlive all messages */
void msg_set_verbosity(enum msg_verbosity level);
enum msg_verbosity msg_verbosity(void);
/* Duplicate messages to a log file too (borrowed FILE, NULL to stop). */
void msg_set_log(FILE *log);

/* Registers a secret to redact (copied; strings shorter than 6 bytes are ignored). */
void msg_add_secret(const char *secret);
/* Writes s with every registered secret replaced; for output that bypasses msg_*. */
void msg_redact_into(const char *s, char **out);

void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Result output to stdout (never prefixed, still redacted). */
void msg_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Result output to out (borrowed: a terminal, a pipe, a test's memory stream), redacted. */
void msg_print(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends text (borrowed; NULL appends nothing) to sb with every control character (below
 * 0x20, and 0x7f) written as \xNN: for text from the network (error messages, resource ids)
 * shown on a terminal, where an escape sequence could rewrite the screen or fake a line.
 */
void msg_escape_into(struct strbuf *sb, const char *text);

#endif
