/*
 * idmap — case-insensitive string → pointer hash map (see idmap.h).
 *
 * Chained buckets keep removal simple; the table doubles at a load factor of 1, so a world of
 * 50,000 sites costs a handful of rehashes while loading.
 */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "lib/idmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct idmap_entry {
	struct idmap_entry *next;
	uint64_t hash;
	void *value; /* borrowed */
	char key[];  /* the key's own copy, in the entry's allocation (one cache line less) */
};

/* ASCII folding: what strcasecmp does in the C locale (neither program calls setlocale). */
static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the lower-cased bytes */
	for (; *s; s++) {
		h ^= fold((unsigned char)*s);
		h *= 1099511628211ULL;
	}
	return h;
}

/* strcasecmp(a, b) == 0, inline: most calls compare two equal keys of an equal hash. */
static int same_key(const char *a, const char *b)
{
	for (; *a && fold((unsigned char)*a) == fold((unsigned char)*b); a++, b++)
		;
	return fold((unsigned char)*a) == fold((unsigned char)*b);
}

static void grow(struct idmap *map)
{
	size_t nr = map->nr_buckets ? map->nr_buckets * 2 : 64, i;
	struct idmap_entry **buckets = xcalloc(nr, sizeof(*buckets));
	for (i = 0; i < map->nr_buckets; i++) {
		struct idmap_entry *e = map->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = buckets[e->hash & (nr - 1)];
			buckets[e->hash & (nr - 1)] = e;
		}
	}
	free(map->buckets);
	map->buckets = buckets;
	map->nr_buckets = nr;
}

static struct idmap_entry **find(const struct idmap *map, const char *key, uint64_t hash)
{
	struct idmap_entry **p;
	if (!map->nr_buckets)
		return NULL;
	for (p = &map->buckets[hash & (map->nr_buckets - 1)]; *p; p = &(*p)->next)
		if ((*p)->hash == hash && same_key((*p)->key, key))
			return p;
	return p;
}

void *idmap_get(const struct idmap *map, const char *key)
{
	struct idmap_entry **p = find(map, key, hash_key(key));
	return p && *p ? (*p)->value : NULL;
}

void *idmap_put(struct idmap *map, const char *key, void *value)
{
	uint64_t hash = hash_key(key);
	struct idmap_entry **p, *e;
	size_t len;
	if (map->nr + 1 > map->nr_buckets)
		grow(map);
	p = find(map, key, hash);
	if (*p) {
		void *old = (*p)->value;
		(*p)->value = value;
		return old;
	}
	len = strlen(key) + 1;
	e = xmalloc(sizeof(*e) + len);
	e->next = NULL;
	e->hash = hash;
	memcpy(e->key, key, len);
	e->value = value;
	*p = e;
	map->nr++;
	return NULL;
}

void *idmap_remove(struct idmap *map, const char *key)
{
	struct idmap_entry **p = find(map, key, hash_key(key)), *e;
	void *value;
	if (!p || !*p)
		return NULL;
	e = *p;
	*p = e->next;
	value = e->value;
	free(e);
	map->nr--;
	return value;
}

void idmap_for_each(const struct idmap *map, void (*fn)(const char *key, void *value, void *arg),
		    void *arg)
{
	size_t i;
	struct idmap_entry *e;
	for (i = 0; i < map->nr_buckets; i++)
		for (e = map->buckets[i]; e; e = e->next)
			fn(e->key, e->value, arg);
}

void idmap_clear(struct idmap *map)
{
	size_t i;
	for (i = 0; i < map->nr_buckets; i++) {
		struct idmap_entry *e = map->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(map->buckets);
	map->buckets = NULL;
	map->nr_buckets = map->nr = 0;
}
