/*
 * jsonpos — positions of objects and arrays alongside jansson's tree (see jsonpos.h).
 *
 * The second pass trusts that jansson accepted the text, so it only needs to find token
 * boundaries; it still never reads past len and never dereferences a value whose kind does
 * not match the text, so a disagreement costs a position, not memory safety.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iac/jsonpos.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct json_pos_slot {
	const json_t *value; /* NULL: empty slot */
	struct json_position pos;
};

struct scan {
	struct json_doc *doc;
	const char *text;
	size_t len;
	size_t at;            /* offset the line/column below belong to */
	unsigned line, column;
	struct strbuf key;    /* decoded key with escapes */
};

static size_t slot_hash(const json_t *value, size_t mask)
{
	uintptr_t h = (uintptr_t)value;
	h ^= h >> 17;
	h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	return (size_t)h & mask;
}

static void table_put(struct json_doc *doc, const json_t *value, struct json_position pos);

static void table_grow(struct json_doc *doc)
{
	struct json_pos_slot *old = doc->slots;
	size_t old_count = doc->slot_count, i;
	doc->slot_count = old_count ? old_count * 2 : 256;
	doc->slots = xcalloc(doc->slot_count, sizeof(*doc->slots));
	doc->used = 0;
	for (i = 0; i < old_count; i++)
		if (old[i].value)
			table_put(doc, old[i].value, old[i].pos);
	free(old);
}

static void table_put(struct json_doc *doc, const json_t *value, struct json_position pos)
{
	size_t mask, i;
	if ((doc->used + 1) * 2 > doc->slot_count)
		table_grow(doc);
	mask = doc->slot_count - 1;
	for (i = slot_hash(value, mask); doc->slots[i].value && doc->slots[i].value != value;
	     i = (i + 1) & mask)
		;
	if (!doc->slots[i].value)
		doc->used++;
	doc->slots[i].value = value;
	doc->slots[i].pos = pos;
}

int json_doc_position(const struct json_doc *doc, const json_t *value, struct json_position *pos)
{
	size_t mask, i;
	pos->line = 0;
	pos->column = 0;
	if (!doc->slot_count || !value)
		return -1;
	mask = doc->slot_count - 1;
	for (i = slot_hash(value, mask); doc->slots[i].value; i = (i + 1) & mask) {
		if (doc->slots[i].value == value) {
			*pos = doc->slots[i].pos;
			return 0;
		}
	}
	return -1;
}

/* Replaces // and block comments outside strings by spaces (newlines kept). */
static void blank_comments(char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
			for (; i < len && s[i] != '\n'; i++)
				s[i] = ' ';
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			s[i++] = ' ';
			s[i++] = ' ';
			while (i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/')) {
				if (s[i] != '\n')
					s[i] = ' ';
				i++;
			}
			if (i < len)
				s[i++] = ' ';
			if (i < len)
				s[i++] = ' ';
		} else {
			i++;
		}
	}
}

/* Moves the line/column cursor forward to offset `to`. */
static struct json_position scan_position(struct scan *s, size_t to)
{
	struct json_position pos;
	for (; s->at < to; s->at++) {
		unsigned char c = (unsigned char)s->text[s->at];
		if (c == '\n') {
			s->line++;
			s->column = 1;
		} else if ((c & 0xC0) != 0x80) {
			s->column++;
		}
	}
	pos.line = s->line;
	pos.column = s->column;
	return pos;
}

static size_t skip_space(const struct scan *s, size_t p)
{
	while (p < s->len && (s->text[p] == ' ' || s->text[p] == '\t' || s->text[p] == '\n' ||
			      s->text[p] == '\r'))
		p++;
	return p;
}

/* p is at the opening quote; returns the offset after the closing one. */
static size_t skip_string(const struct scan *s, size_t p, int *has_escape)
{
	*has_escape = 0;
	for (p++; p < s->len && s->text[p] != '"'; p++) {
		if (s->text[p] == '\\') {
			*has_escape = 1;
			p++;
		}
	}
	return p < s->len ? p + 1 : p;
}

static unsigned hex4(const char *h)
{
	unsigned v = 0;
	int i;
	for (i = 0; i < 4; i++) {
		char c = h[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (int)(0xC0 | (cp >> 6)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (int)(0xE0 | (cp >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
	} else {
		strbuf_addch(sb, (int)(0xF0 | (cp >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 12) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
	}
}

/* Decodes the JSON string body text[from, to) (without quotes) into s->key. */
static void decode_key(struct scan *s, size_t from, size_t to)
{
	size_t p;
	strbuf_reset(&s->key);
	for (p = from; p < to; p++) {
		char c = s->text[p];
		if (c != '\\' || p + 1 >= to) {
			strbuf_addch(&s->key, c);
			continue;
		}
		c = s->text[++p];
		switch (c) {
		case 'b': strbuf_addch(&s->key, '\b'); break;
		case 'f': strbuf_addch(&s->key, '\f'); break;
		case 'n': strbuf_addch(&s->key, '\n'); break;
		case 'r': strbuf_addch(&s->key, '\r'); break;
		case 't': strbuf_addch(&s->key, '\t'); break;
		case 'u': {
			unsigned cp;
			if (p + 4 >= to)
				return;
			cp = hex4(s->text + p + 1);
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && p + 6 < to && s->text[p + 1] == '\\' &&
			    s->text[p + 2] == 'u') {
				unsigned lo = hex4(s->text + p + 3);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			add_utf8(&s->key, cp);
			break;
		}
		default: strbuf_addch(&s->key, c); break;
		}
	}
}

static size_t scan_value(struct scan *s, size_t p, const json_t *value, unsigned depth);

static size_t scan_object(struct scan *s, size_t p, const json_t *object, unsigned depth)
{
	if (object && json_is_object(object))
		table_put(s->doc, object, scan_position(s, p));
	else
		object = NULL;
	p = skip_space(s, p + 1);
	while (p < s->len && s->text[p] != '}') {
		const json_t *child = NULL;
		size_t key_start = p + 1, key_end;
		int has_escape;
		if (s->text[p] != '"')
			return s->len;
		p = skip_string(s, p, &has_escape);
		key_end = p - 1;
		if (object) {
			if (has_escape) {
				decode_key(s, key_start, key_end);
				child = json_object_getn(object, s->key.buf, s->key.len);
			} else {
				child = json_object_getn(object, s->text + key_start, key_end - key_start);
			}
		}
		p = skip_space(s, p);
		if (p >= s->len || s->text[p] != ':')
			return s->len;
		p = scan_value(s, p + 1, child, depth + 1);
		p = skip_space(s, p);
		if (p < s->len && s->text[p] == ',')
			p = skip_space(s, p + 1);
	}
	return p < s->len ? p + 1 : p;
}

static size_t scan_array(struct scan *s, size_t p, const json_t *array, unsigned depth)
{
	size_t index = 0;
	if (array && json_is_array(array))
		table_put(s->doc, array, scan_position(s, p));
	else
		array = NULL;
	p = skip_space(s, p + 1);
	while (p < s->len && s->text[p] != ']') {
		size_t before = p;
		p = scan_value(s, p, array ? json_array_get(array, index) : NULL, depth + 1);
		index++;
		p = skip_space(s, p);
		if (p < s->len && s->text[p] == ',')
			p = skip_space(s, p + 1);
		if (p == before)
			return s->len;
	}
	return p < s->len ? p + 1 : p;
}

static size_t scan_value(struct scan *s, size_t p, const json_t *value, unsigned depth)
{
	int has_escape;
	p = skip_space(s, p);
	if (p >= s->len || depth > JSON_PARSER_MAX_DEPTH + 1)
		return s->len;
	switch (s->text[p]) {
	case '{':
		return scan_object(s, p, value, depth);
	case '[':
		return scan_array(s, p, value, depth);
	case '"':
		return skip_string(s, p, &has_escape);
	default:
		while (p < s->len && !strchr(",}] \t\r\n", s->text[p]))
			p++;
		return p;
	}
}

enum json_doc_result json_doc_parse(struct json_doc *doc, const char *text, size_t len,
				    const char *name, struct strbuf *err)
{
	struct scan s = { doc, NULL, len, 0, 1, 1, STRBUF_INIT };
	json_error_t jerr;
	char *copy = xmalloc(len + 1);
	enum json_doc_result ret = JSON_DOC_OK;

	memcpy(copy, text, len);
	copy[len] = '\0';
	/* A UTF-8 byte order mark (editors on Windows write one) is blanked and takes no column. */
	if (len >= 3 && !memcmp(copy, "\xEF\xBB\xBF", 3)) {
		memset(copy, ' ', 3);
		s.at = 3;
	}
	blank_comments(copy, len);
	doc->root = json_loadb(copy, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc->root) {
		strbuf_addf(err, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		ret = JSON_DOC_SYNTAX;
		goto out;
	}
	s.text = copy;
	scan_value(&s, 0, doc->root, 0);
out:
	strbuf_release(&s.key);
	free(copy);
	return ret;
}

void json_doc_release(struct json_doc *doc)
{
	json_decref(doc->root);
	free(doc->slots);
	doc->root = NULL;
	doc->slots = NULL;
	doc->slot_count = 0;
	doc->used = 0;
}
