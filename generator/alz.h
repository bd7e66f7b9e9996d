/*
 * alz — a rendered policy set as an Azure Landing Zones library (the folder the ALZ
 * Terraform provider's library_references and ALZ-Bicep read).
 *
 * Files, named as the ALZ library names them (the client finds assets by file-name suffix and
 * by their JSON name, not by folder):
 *   policy_definitions/{name}.alz_policy_definition.json         the five custom definitions
 *   policy_set_definitions/{name}.alz_policy_set_definition.json the initiative
 *   policy_assignments/{name}.alz_policy_assignment.json         the assignment
 *   archetype_definitions/{initiative}.alz_archetype_definition.json  an archetype holding the
 *        three, to add to a management group's archetypes (or to list in an override)
 *   alz_library_metadata.json                                    the library's name and description
 * References between assets use the management group "placeholder", which the client rewrites
 * to the management group the archetype lands on; the assignment's location is
 * "${default_location}", the client's default. The library is management-group only: ALZ
 * assigns archetypes to management groups.
 */
#ifndef ALZ_H
#define ALZ_H

#include <jansson.h>

#include "generator/render.h"
#include "lib/strbuf.h"

struct alz_file {
	char *path;   /* relative to the library root; owned */
	json_t *json; /* the file's content; owned reference */
};

struct alz_library {
	struct alz_file *files; /* in writing order; owned */
	size_t nr, alloc;
};

#define ALZ_LIBRARY_INIT { NULL, 0, 0 }

enum alz_result {
	ALZ_OK = 0,
	ALZ_ERR_SCOPE, /* the set is not at a management group: err says why */
};

/* Builds the library of set (borrowed) into lib (ALZ_LIBRARY_INIT or released). */
enum alz_result alz_build(const struct deploy_set *set, struct alz_library *lib,
			  struct strbuf *err);
void alz_library_release(struct alz_library *lib);

#endif
