/*
 * alias — the policy aliases armsim knows, for Microsoft.Web/sites and its slots.
 *
 * An alias names a property of a resource type ("Microsoft.Web/sites/clientCertEnabled") and
 * maps it to a path in the resource JSON as ARM returns it ("properties.clientCertEnabled").
 * One table serves sites and slots: every site alias exists under "Microsoft.Web/sites/" and
 * "Microsoft.Web/sites/slots/". The web config aliases ("Microsoft.Web/sites/config/
 * web.http20Enabled") read the config resource, which armsim derives from the site's
 * properties.siteConfig. Alias names are case-insensitive, as in Azure.
 */
#ifndef ALIAS_H
#define ALIAS_H

#include <jansson.h>

struct alias {
	const char *type;   /* the resource type the alias reads, e.g. "Microsoft.Web/sites/config" */
	const char *path;   /* dotted path inside that resource; "[*]" marks array members */
	int modifiable;     /* whether the Modify effect may write it */
};

/*
 * Finds an alias by name. Returns 0 and fills *out (static strings), or -1 when unknown. An
 * alias of another provider than Microsoft.Web is known (Azure has it) and reads as missing:
 * its type is no type armsim keeps. An unknown Microsoft.Web alias is -1.
 */
int alias_lookup(const char *name, struct alias *out);

/*
 * Reads path (alias syntax: "properties.a.b", "properties.list[*].x") from resource.
 * Returns a new reference: the value, an array of the collected values when the path holds
 * "[*]", or NULL when a step is missing. Property names match case-insensitively.
 */
json_t *alias_path_get(const json_t *resource, const char *path);

/*
 * Writes value (borrowed) at path (no "[*]") into resource, creating objects on the way.
 * Returns 0, or -1 when a step is not an object.
 */
int alias_path_set(json_t *resource, const char *path, json_t *value);
/* Removes the property at path. Returns 0 (also when absent). */
int alias_path_remove(json_t *resource, const char *path);

#endif
