/*
 * xalloc — allocation that cannot return NULL.
 *
 * Running out of memory is not a state policyctl can recover from meaningfully, so these
 * print one line and abort instead of making every caller check.
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

/* Each returns new memory owned by the caller; on exhaustion the process aborts. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow an array so that it holds at least `need` elements (amortised doubling). */
#define ALLOC_GROW(array, need, alloc)                                              \
	do {                                                                        \
		if ((size_t)(need) > (alloc)) {                                     \
			size_t grow_to_ = (alloc) < 8 ? 8 : (alloc) * 2;            \
			if (grow_to_ < (size_t)(need))                              \
				grow_to_ = (size_t)(need);                          \
			(array) = xrealloc((array), grow_to_ * sizeof(*(array)));   \
			(alloc) = grow_to_;                                         \
		}                                                                   \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
