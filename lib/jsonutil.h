/*
 * jsonutil — the few things we do with jansson everywhere, done one way.
 *
 * Output is deterministic: keys keep their insertion order, 2-space indent, a final newline.
 */
#ifndef JSONUTIL_H
#define JSONUTIL_H

#include <jansson.h>

#include "lib/strbuf.h"

/* Appends json (borrowed) to sb as 2-space indented text with a trailing newline. */
void jsonutil_add_pretty(struct strbuf *sb, const json_t *json);
/* Appends json (borrowed) to sb compactly, no newline. */
void jsonutil_add_compact(struct strbuf *sb, const json_t *json);

/*
 * Parses text of length len. Returns a new reference, or NULL with err set to
 * "NAME:LINE:COLUMN: MESSAGE" (name says where the text came from).
 */
json_t *jsonutil_parse(const char *text, size_t len, const char *name, struct strbuf *err);
/* Reads and parses a file (capped at 64 MiB). NULL with err set on failure. */
json_t *jsonutil_load_file(const char *path, struct strbuf *err);
/* Writes json pretty-printed to path (atomically, via a temp file). Returns 0 or -1 (errno). */
int jsonutil_write_file(const char *path, const json_t *json);

/*
 * Looks up a dotted path such as "properties.deploymentStatus.totalDeployments" in json.
 * Returns a borrowed reference or NULL when any step is missing or not an object.
 */
json_t *jsonutil_path(const json_t *json, const char *path);
/* The string at path, or NULL when absent or not a string (borrowed). */
const char *jsonutil_path_string(const json_t *json, const char *path);

#endif
