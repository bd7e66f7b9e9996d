/*
 * fuzz_config — the policyctl.ini loader.
 *
 * The input is a config file: config_load must either accept it or give one error line
 * naming the file (and a line), and accepted names must obey Azure's resource-name rules.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/msg.h"
#include "lib/strbuf.h"

static char path[64];
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	enum config_result r;

	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/fuzz-config-%ld.ini",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			abort();
		msg_set_verbosity(MSG_QUIET);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	r = config_load(&cfg, path, &err);
	if (r == CONFIG_OK && err.len)
		abort();
	if (r != CONFIG_OK && (!err.len || strncmp(err.buf, path, strlen(path))))
		abort(); /* every load error names the file */
	if (r == CONFIG_OK && (strpbrk(cfg.initiative_name, "# \t\r\n") ||
			       strpbrk(cfg.assignment_name, "# \t\r\n")))
		abort();
	config_release(&cfg);
	strbuf_release(&err);
	return 0;
}
