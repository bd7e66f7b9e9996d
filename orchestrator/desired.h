/*
 * desired — a digest of the rendered desired state, recorded with each run so a resume never
 * acts on what the config no longer asks for.
 *
 * The digest has one SHA-256 per part a user can change: the policy definitions, the
 * initiative, the assignments (name, scope, identity, effects... all but the two below), their
 * not_scopes, their parameters, and the remediation settings tasks are created with. Kept per
 * part, two digests say *what* changed ("not_scopes, assignment"), not only that something did.
 * Bodies are hashed as compact JSON with sorted keys, so the digest depends on the content,
 * never on key order.
 */
#ifndef DESIRED_H
#define DESIRED_H

#include "lib/config.h"
#include "lib/deploy_set.h"
#include "lib/digest.h"
#include "lib/strbuf.h"

enum desired_part {
	DESIRED_DEFINITIONS,  /* "definitions" */
	DESIRED_INITIATIVE,   /* "initiative" */
	DESIRED_ASSIGNMENT,   /* "assignment" */
	DESIRED_NOT_SCOPES,   /* "not_scopes" */
	DESIRED_PARAMETERS,   /* "parameters" */
	DESIRED_REMEDIATION,  /* "remediation" */
};
#define DESIRED_PART_COUNT (DESIRED_REMEDIATION + 1)

struct desired_digest {
	char hex[DESIRED_PART_COUNT][DIGEST_SHA256_HEX_SIZE];
};

/* The digest of set (whole: resources with bodies) and cfg's remediation settings. */
void desired_digest_compute(const struct deploy_set *set, const struct config *cfg,
			    struct desired_digest *out);

/*
 * The same digest, fed one scope's rendering at a time (so 2,500 subscriptions never sit in
 * memory at once): begin, add each part of the set's resources in creation order, end with
 * the set's reference ids (refs: its resources need not be there). The result equals
 * desired_digest_compute over the whole set.
 */
/* The last few bodies dumped: a definition's body is shared by every scope (render_memo). */
#define DESIRED_DUMPS 8

struct desired_builder {
	struct digest_sha256_ctx part[DESIRED_PART_COUNT];
	struct {
		json_t *body;    /* a reference: the pointer is not reused while it is here */
		char *text;      /* its sorted compact dump */
	} dumps[DESIRED_DUMPS];
	size_t next_dump;
};
void desired_builder_begin(struct desired_builder *b);
void desired_builder_add(struct desired_builder *b, const struct deploy_set *resources);
void desired_builder_end(struct desired_builder *b, const struct deploy_set *refs,
			 const struct config *cfg, struct desired_digest *out);
/* Appends "definitions=<hex> initiative=<hex> ..." (what the ledger stores). */
void desired_digest_format(const struct desired_digest *d, struct strbuf *sb);
/* Parses desired_digest_format's text; 0, or -1 when a part is missing or malformed. */
int desired_digest_parse(const char *text, struct desired_digest *out);
/* Appends the names of the parts that differ, comma separated; returns how many differ. */
size_t desired_digest_diff(const struct desired_digest *a, const struct desired_digest *b,
			   struct strbuf *names);
/* "definitions", "initiative", ... */
const char *desired_part_name(enum desired_part part);

#endif
