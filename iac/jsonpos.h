/*
 * jsonpos — JSON parsed with jansson, plus the line and column where each object and array
 * starts in the source text.
 *
 * jansson gives positions only for errors, but a finding must land on the line of the
 * resource in the pull request. json_doc_parse lets jansson build the values, then walks the
 * text once more alongside the tree it built and records, for every object and array, where
 * its opening brace or bracket is. Lookups are by value pointer (a hash table), so a reader
 * asks "where is this resource?" with the json_t it holds.
 *
 * ARM accepts // and block comments in templates; they are blanked (replaced by spaces,
 * newlines kept) before parsing, so positions stay those of the original text.
 * Columns count Unicode code points from 1 (SARIF's columnKind "unicodeCodePoints").
 */
#ifndef IAC_JSONPOS_H
#define IAC_JSONPOS_H

#include <stddef.h>

#include <jansson.h>

#include "lib/strbuf.h"

struct json_position {
	unsigned line;   /* 1-based */
	unsigned column; /* 1-based, in code points */
};

struct json_doc {
	json_t *root;                 /* the parsed document (owned) */
	struct json_pos_slot *slots;  /* open-addressing table: value pointer -> position */
	size_t slot_count;            /* a power of two, or 0 */
	size_t used;                  /* slots in use */
};

#define JSON_DOC_INIT { NULL, NULL, 0, 0 }

enum json_doc_result {
	JSON_DOC_OK = 0,
	JSON_DOC_SYNTAX, /* not JSON: err holds "NAME:LINE:COLUMN: what" */
};

/*
 * Parses text (len bytes, borrowed; need not be NUL-terminated) into doc, which must be
 * JSON_DOC_INIT or released. Duplicate keys are a syntax error, as for ARM. name is used in
 * the message appended to err on failure; doc is left empty then.
 */
enum json_doc_result json_doc_parse(struct json_doc *doc, const char *text, size_t len,
				    const char *name, struct strbuf *err);

/*
 * Where value (an object or array inside doc->root, borrowed) starts. Returns 0 and fills
 * pos, or -1 when value is not an object/array of this document (pos is then 0:0).
 */
int json_doc_position(const struct json_doc *doc, const json_t *value, struct json_position *pos);

/* Frees the tree and the table; doc is JSON_DOC_INIT afterwards. */
void json_doc_release(struct json_doc *doc);

#endif
