/*
 * strbuf — the one growable string type.
 *
 * `buf` is never NULL and always NUL-terminated, so a strbuf can be handed to any C string
 * function at any time. Anything read from the network is added with strbuf_add_capped, which
 * refuses to grow past a hard cap instead of letting a hostile peer exhaust memory.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc; /* bytes allocated; 0 while buf points at the shared empty string */
	size_t len;   /* bytes used, not counting the terminating NUL */
	char *buf;    /* never NULL */
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the buffer and leaves sb empty and reusable. */
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (new, owned by the caller) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/* Adds data unless sb would then exceed cap bytes. Returns 0, or -1 (sb unchanged) over cap. */
int strbuf_add_capped(struct strbuf *sb, const void *data, size_t len, size_t cap);

/* Reads a whole file into sb (appending). Returns 0, or -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t cap);

void strbuf_trim(struct strbuf *sb);
int strbuf_starts_with(const struct strbuf *sb, const char *prefix);

/*
 * Appends len bytes of s (text from a server or a file) with every control character written
 * as a visible escape: C0 and DEL as \xNN, the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F)
 * as \u00NN, so a terminal never acts on them. keep_newlines leaves '\n' and '\t' as they are
 * (for multi-line output of our own). msg_escape_into is the same for a C string.
 */
void strbuf_add_escaped(struct strbuf *sb, const char *s, size_t len, int keep_newlines);

/* Percent-encodes s as an RFC 3986 query or path component (unreserved kept). */
void strbuf_add_urlencoded(struct strbuf *sb, const char *s);

#endif
