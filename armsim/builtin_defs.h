/*
 * builtin_defs — the built-in policy definitions every Azure tenant has and armsim serves
 * without being given them: Azure's four client-certificate audits for App Service (web apps,
 * web app slots, function apps, function app slots), AuditIfNotExists on the web config.
 *
 * They are armsim's own data, written from the facts of the built-ins (ids, rules,
 * parameters, versions; the prose is armsim's), so a clone without ../shared runs the
 * initiative with its built-in members as Azure would. `--builtins DIR` still adds any other
 * exported definitions; a definition the world or DIR already has by id is left as it is.
 */
#ifndef ARMSIM_BUILTIN_DEFS_H
#define ARMSIM_BUILTIN_DEFS_H

#include <jansson.h>

/* The number of built-in definitions armsim knows. */
#define BUILTIN_DEFS_COUNT 4

/*
 * Adds the built-in definitions to the world document's "resources" (doc borrowed, changed in
 * place; the array is created when absent), skipping ids already there. Returns how many it
 * added.
 */
size_t builtin_defs_add(json_t *doc);

/* The built-in definition with this id ({id, name, type, properties}, new reference), or NULL. */
json_t *builtin_defs_get(const char *id);

#endif
