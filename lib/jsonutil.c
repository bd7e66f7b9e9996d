/*
 * jsonutil — shared jansson helpers (see jsonutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonutil.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define JSON_FILE_CAP ((size_t)64 << 20)

static int add_chunk(const char *buffer, size_t size, void *data)
{
	strbuf_add(data, buffer, size);
	return 0;
}

void jsonutil_add_pretty(struct strbuf *sb, const json_t *json)
{
	json_dump_callback(json, add_chunk, sb, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_addch(sb, '\n');
}

void jsonutil_add_compact(struct strbuf *sb, const json_t *json)
{
	json_dump_callback(json, add_chunk, sb, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

json_t *jsonutil_parse(const char *text, size_t len, const char *name, struct strbuf *err)
{
	json_error_t jerr;
	json_t *json = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!json)
		strbuf_addf(err, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
	return json;
}

json_t *jsonutil_load_file(const char *path, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	json_t *json = NULL;
	if (strbuf_read_file(&text, path, JSON_FILE_CAP) < 0) {
		strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	json = jsonutil_parse(text.buf, text.len, path, err);
out:
	strbuf_release(&text);
	return json;
}

int jsonutil_write_file(const char *path, const json_t *json)
{
	struct strbuf tmp = STRBUF_INIT, text = STRBUF_INIT;
	FILE *f;
	int ret = -1, fd;

	strbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	jsonutil_add_pretty(&text, json);
	/* a fresh file: a symlink planted at the temporary name cannot redirect the write */
	unlink(tmp.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "wb");
	if (!f) {
		int saved = errno;
		close(fd);
		unlink(tmp.buf);
		errno = saved;
		goto out;
	}
	if (fwrite(text.buf, 1, text.len, f) != text.len) {
		int saved = errno;
		fclose(f);
		unlink(tmp.buf);
		errno = saved;
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp.buf, path) != 0) {
		int saved = errno;
		unlink(tmp.buf);
		errno = saved;
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&tmp);
	strbuf_release(&text);
	return ret;
}

json_t *jsonutil_path(const json_t *json, const char *path)
{
	const char *start = path;
	json_t *cur = (json_t *)json;
	while (cur && *start) {
		const char *dot = strchr(start, '.');
		size_t n = dot ? (size_t)(dot - start) : strlen(start);
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, start, n);
		start += n + (dot ? 1 : 0);
	}
	return cur;
}

const char *jsonutil_path_string(const json_t *json, const char *path)
{
	return json_string_value(jsonutil_path(json, path));
}
