/*
 * strcase — case-insensitive (ASCII) string search, for ARM ids, error codes and filters,
 * which Azure compares without regard to case. strcasestr is a GNU extension; this is the one
 * portable spelling every module uses.
 */
#ifndef STRCASE_H
#define STRCASE_H

/*
 * The first place in hay (borrowed) where needle occurs, ignoring ASCII case, or NULL.
 * An empty needle occurs at the start of every haystack (as with strstr): the answer is hay,
 * also when hay is "". Neither argument may be NULL.
 */
const char *strcase_find(const char *hay, const char *needle);

/* 1 when needle occurs in hay ignoring case (strcase_find != NULL), else 0. */
int strcase_contains(const char *hay, const char *needle);

#endif
