/*
 * strbuf — the one growable string type.
 *
 * Invariants, true between any two calls:
 *
 *  - `buf` is never NULL and always NUL-terminated at `buf[len]`, so a strbuf can be handed to
 *    any C string function at any time. The data may itself hold NUL bytes (strbuf_add takes a
 *    length); then C string functions see only the part before the first one.
 *  - `len < alloc`, or `alloc == 0`: a strbuf that has never grown points at the shared, static
 *    `strbuf_slopbuf` (one NUL byte) and owns nothing. Never write to `buf` while `alloc` is 0,
 *    and never free `buf` yourself: use strbuf_release or strbuf_detach.
 *  - `buf` may move whenever the strbuf grows: a pointer into it is valid only until the next
 *    call that adds to it.
 *
 * Ownership: the strbuf owns `buf` (once `alloc > 0`); strbuf_detach hands it to the caller.
 * Nothing here keeps a pointer to an argument after returning: every `data`/`s` is copied.
 *
 * Errors: memory exhaustion and size overflow are not returned — they print one line and abort
 * (see xalloc.h), like git's strbuf. Only the functions for input that a peer or a file
 * controls can fail, and they say so: strbuf_add_capped refuses to grow past a hard cap instead
 * of letting a hostile peer exhaust memory, and strbuf_read_file returns -1 with errno.
 *
 * Usage:
 *
 *	struct strbuf sb = STRBUF_INIT;
 *	strbuf_addf(&sb, "%s/%s", dir, name);
 *	use(sb.buf);
 *	strbuf_release(&sb);
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc; /* bytes allocated; 0 while buf points at the shared empty string */
	size_t len;   /* bytes used, not counting the terminating NUL */
	char *buf;    /* never NULL; owned once alloc > 0 */
};

/* The shared empty string every unallocated strbuf points at. Never write to it. */
extern char strbuf_slopbuf[];

/* Static initialiser: an empty strbuf that owns nothing and needs no strbuf_init. */
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

/* ---- life cycle ---- */

/*
 * Makes sb an empty strbuf. When hint is non-zero, allocates room for hint bytes (plus the
 * NUL) up front, so that adding that much will not reallocate. Whatever sb held before is
 * forgotten, not freed: call it on fresh memory or after strbuf_release/strbuf_detach only.
 */
void strbuf_init(struct strbuf *sb, size_t hint);

/*
 * Frees the buffer and leaves sb empty (as STRBUF_INIT) and reusable. Safe to call on a strbuf
 * that never grew, and twice in a row.
 */
void strbuf_release(struct strbuf *sb);

/*
 * Returns the buffer and leaves sb empty (as STRBUF_INIT). The result is new, owned by the
 * caller (free() it), NUL-terminated, and never NULL: an empty strbuf yields a fresh "" rather
 * than the shared slopbuf. When len is not NULL, *len receives the length (not counting the
 * NUL).
 */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* ---- size ---- */

/*
 * Makes sure that at least extra more bytes can be added without another allocation (the NUL
 * is accounted for). Growth doubles, so adding byte by byte is amortised O(1). Does not change
 * len or the content. Aborts with a message when len + extra + 1 does not fit in a size_t
 * (and, through xrealloc, when memory runs out): a wrapped size would allocate too little.
 */
void strbuf_grow(struct strbuf *sb, size_t extra);

/*
 * Shortens the string to len bytes and re-terminates it. Only shrinks: a len at or past the
 * current length leaves sb unchanged (use strbuf_add to lengthen). Keeps the allocation.
 * A strbuf that never grew stays the empty string.
 */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Empties the string and keeps the allocation for reuse. */
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

/* ---- adding data (all append at the end; the data is copied; none can fail) ---- */

/*
 * Appends len bytes at data (borrowed; must not point into sb->buf, which may move), which
 * may contain NUL bytes. data may be NULL when len is 0.
 */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);

/* Appends the NUL-terminated string s (borrowed; must not point into sb->buf). */
void strbuf_addstr(struct strbuf *sb, const char *s);

/* Appends one byte (c converted to char; 0 appends a NUL byte into the data). */
void strbuf_addch(struct strbuf *sb, int c);

/*
 * Appends printf-style formatted output; the arguments must not point into sb->buf (it may
 * move). An encoding error from vsnprintf (a wide-character conversion that fails) appends
 * nothing and leaves sb as it was.
 */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* strbuf_addf with a va_list; ap is not consumed (it is copied), the caller still va_ends it. */
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/*
 * Appends RFC 3986 percent-encoding of the NUL-terminated s: unreserved characters (ALPHA,
 * DIGIT, "-", ".", "_", "~") are kept, every other byte becomes %XX with upper-case hex, so
 * the result is safe as one query value or one path segment ("/" is encoded too).
 */
void strbuf_add_urlencoded(struct strbuf *sb, const char *s);

/* ---- input a peer or a file controls (these can fail) ---- */

/*
 * Appends len bytes unless sb->len would then exceed cap. Returns 0 on success, or -1 with sb
 * unchanged (nothing of data added) when it would go over cap. Use it for every body, header
 * or file read from outside, with a cap that bounds memory per request.
 */
int strbuf_add_capped(struct strbuf *sb, const void *data, size_t len, size_t cap);

/*
 * Appends the whole file at path (read in binary mode) to sb, refusing to grow sb past cap
 * bytes in total. Returns 0, or -1 with errno set: from fopen/fread when the file cannot be
 * opened or read, EFBIG when it would exceed cap. On -1, sb may hold part of the file (it stays
 * valid and NUL-terminated); callers normally release it.
 */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t cap);

/* ---- inspecting and editing in place ---- */

/* Removes leading and trailing whitespace (isspace) in place; keeps the allocation. */
void strbuf_trim(struct strbuf *sb);

/* Returns 1 when the string starts with prefix (borrowed, NUL-terminated), otherwise 0. */
int strbuf_starts_with(const struct strbuf *sb, const char *prefix);

#endif
