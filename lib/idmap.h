/*
 * idmap — a hash map from ARM ids (compared case-insensitively, as ARM does) to pointers.
 *
 * ARM ids come back lower-cased in real traffic, so every lookup folds ASCII case. Keys are
 * copied; values are borrowed (the map never frees them). Not thread-safe: armsim's world lock
 * protects its maps; policyctl's event loop has one thread.
 */
#ifndef IDMAP_H
#define IDMAP_H
#include <stddef.h>

struct idmap_entry;
struct idmap {
	struct idmap_entry **buckets; /* chained buckets, power-of-two count */
	size_t nr_buckets;
	size_t nr;                    /* entries stored */
};
#define IDMAP_INIT { NULL, 0, 0 }

/* The value stored under key (any case), or NULL. */
void *idmap_get(const struct idmap *map, const char *key);
/* Stores value under key (copied), replacing any previous value; returns the previous or NULL. */
void *idmap_put(struct idmap *map, const char *key, void *value);
/* Removes key; returns the value it had, or NULL. */
void *idmap_remove(struct idmap *map, const char *key);
/* Calls fn for every entry (order unspecified); fn must not change the map. */
void idmap_for_each(const struct idmap *map, void (*fn)(const char *key, void *value, void *arg),
		    void *arg);
/* Frees the map's own memory (not the values) and leaves it empty. */
void idmap_clear(struct idmap *map);
#endif
