/*
 * armsim — an offline Azure Resource Manager and Entra ID on loopback.
 *
 *   armsim serve (--world FILE | --generate SPEC) [--listen 127.0.0.1:PORT]
 *                [--tls-cert F --tls-key F] [--time-scale X] [--latency MS[:JITTER_MS]]
 *                [--fault-rate P] [--seed N] [--log FILE] [--ready-file F] [--threads N]
 *                [--builtins DIR]
 *   armsim gen-ca DIR
 *   armsim world --generate SPEC
 *
 * Exit codes: 0 success, 1 runtime failure (cannot listen, TLS unusable), 2 usage or bad input
 * (options, world file, spec). Commands are rows of one table (`commands` below), as in
 * policyctl's cli/main.c; each parses its options and calls the library: the work is in
 * server.c, world_file.c, worldgen.c and gen_ca.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/policy_engine.h"
#include "armsim/builtin_defs.h"
#include "armsim/gen_ca.h"
#include "armsim/server.h"
#include "armsim/simclock.h"
#include "armsim/token.h"
#include "armsim/world.h"
#include "armsim/worldgen.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
	"usage: armsim serve (--world FILE | --generate SPEC) [--listen 127.0.0.1:PORT]\n"
	"                    [--tls-cert FILE --tls-key FILE] [--time-scale X]\n"
	"                    [--latency MS[:JITTER_MS]] [--fault-rate P] [--seed N]\n"
	"                    [--log FILE] [--ready-file FILE] [--threads N] [--builtins DIR]\n"
	"       armsim gen-ca DIR\n"
	"       armsim world --generate SPEC\n"
	"SPEC: mgs=3,subs=20,rgs=2,sites=20,noncompliant=0.6,slots=0.1,functions=0.3,\n"
	"      locked=0.02,http2=0.05,exposed=1,prod=0.5,seed=1 (any subset)\n";

static int usage(const char *fmt, const char *arg)
{
	if (fmt)
		msg_error(fmt, arg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double d;
	errno = 0;
	d = strtod(s, &end);
	if (!*s || *end || errno || !(d >= min && d <= max))
		return -1;
	*out = d;
	return 0;
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Generates a world from spec into a parsed document (new), or NULL with err. */
static json_t *generate(const char *spec_text, struct strbuf *err)
{
	struct worldgen_spec spec;
	struct strbuf text = STRBUF_INIT;
	json_t *doc = NULL;
	worldgen_spec_default(&spec);
	if (worldgen_spec_parse(&spec, spec_text, err))
		goto out;
	worldgen_write(&spec, &text);
	doc = jsonutil_parse(text.buf, text.len, "generated world", err);
out:
	strbuf_release(&text);
	return doc;
}

static int write_ready_file(const char *path, const char *url)
{
	struct strbuf tmp = STRBUF_INIT;
	FILE *f;
	int ret = -1;
	strbuf_addf(&tmp, "%s.tmp", path);
	f = fopen(tmp.buf, "w");
	if (f && fprintf(f, "%s\n", url) > 0 && !fclose(f) && !rename(tmp.buf, path))
		ret = 0;
	else if (f)
		fclose(f);
	if (ret)
		msg_error("cannot write '%s': %s", path, strerror(errno));
	strbuf_release(&tmp);
	return ret;
}

static int read_pem(const char *path, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 1 << 20)) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{ "world", required_argument, NULL, 'w' },
		{ "generate", required_argument, NULL, 'g' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "time-scale", required_argument, NULL, 't' },
		{ "latency", required_argument, NULL, 'L' },
		{ "fault-rate", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'o' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 'T' },
		{ "builtins", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct armsim_options opt;
	const char *world_path = NULL, *spec = NULL, *cert_path = NULL, *key_path = NULL;
	const char *ready_path = NULL, *builtins = NULL;
	char host[64] = "127.0.0.1";
	struct strbuf err = STRBUF_INIT;
	struct world *world = NULL;
	struct policy_engine *engine = NULL; /* owned until the server takes it */
	struct armsim *sim = NULL;
	json_t *doc = NULL;
	sigset_t signals;
	int c, sig, ret = EXIT_USAGE;
	unsigned long long n;
	enum armsim_result res;

	memset(&opt, 0, sizeof(opt));
	opt.listen_host = host;
	opt.time_scale = 1.0;
	opt.threads = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'w':
			world_path = optarg;
			break;
		case 'g':
			spec = optarg;
			break;
		case 'l': {
			const char *colon = strrchr(optarg, ':');
			size_t len = colon ? (size_t)(colon - optarg) : 0;
			if (!colon || !len || len >= sizeof(host) || parse_ulong(colon + 1, 65535, &n)) {
				ret = usage("option '--listen': expected HOST:PORT, got '%s'", optarg);
				goto out;
			}
			memcpy(host, optarg, len);
			host[len] = '\0';
			opt.port = (unsigned)n;
			break;
		}
		case 'c':
			cert_path = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 't':
			if (parse_double(optarg, 1e-6, 1e9, &opt.time_scale)) {
				ret = usage("option '--time-scale': expected a positive number, got '%s'", optarg);
				goto out;
			}
			break;
		case 'L': {
			char *colon = strchr(optarg, ':');
			unsigned long long jitter = 0;
			if (colon)
				*colon = '\0';
			if (parse_ulong(optarg, 600000, &n) ||
			    (colon && parse_ulong(colon + 1, 600000, &jitter))) {
				if (colon)
					*colon = ':';
				ret = usage("option '--latency': expected MS or MS:JITTER_MS, got '%s'", optarg);
				goto out;
			}
			opt.latency_ms = (unsigned)n;
			opt.jitter_ms = (unsigned)jitter;
			break;
		}
		case 'f':
			if (parse_double(optarg, 0, 1, &opt.fault_rate)) {
				ret = usage("option '--fault-rate': expected a number from 0 to 1, got '%s'", optarg);
				goto out;
			}
			break;
		case 's':
			if (parse_ulong(optarg, ~0ULL, &n)) {
				ret = usage("option '--seed': expected a non-negative integer, got '%s'", optarg);
				goto out;
			}
			opt.seed = n;
			break;
		case 'o':
			opt.log_path = optarg;
			break;
		case 'r':
			ready_path = optarg;
			break;
		case 'b':
			builtins = optarg;
			break;
		case 'T':
			if (parse_ulong(optarg, 64, &n) || !n) {
				ret = usage("option '--threads': expected 1 to 64, got '%s'", optarg);
				goto out;
			}
			opt.threads = (unsigned)n;
			break;
		default:
			ret = usage(NULL, NULL);
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!world_path == !spec) {
		ret = usage("serve needs exactly one of --world FILE and --generate SPEC%s", "");
		goto out;
	}
	if (!cert_path != !key_path) {
		ret = usage("--tls-cert and --tls-key go together%s", "");
		goto out;
	}
	if (cert_path && (read_pem(cert_path, &opt.tls_cert_pem) || read_pem(key_path, &opt.tls_key_pem)))
		goto out;
	simclock_init(opt.time_scale);
	doc = world_path ? jsonutil_load_file(world_path, &err) : generate(spec, &err);
	if (!doc) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (builtins && world_doc_add_builtins(doc, builtins, &err)) {
		msg_error("%s", err.buf);
		goto out;
	}
	/* Azure's built-in client-certificate audits are in every tenant: always served */
	builtin_defs_add(doc);
	world = world_new();
	engine = policy_engine_new(world);
	if (world_load_json(world, doc, &err)) {
		msg_error("invalid world %s%s%s", world_path ? "'" : "", world_path ? world_path : "",
			  world_path ? "': " : ": ");
		msg_error("%s", err.buf);
		goto out;
	}
	/* signals are taken by sigwait below: no other thread may get them */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	/* the token key is made on its own thread, waited for only by the first token */
	if (!opt.tls_key_pem)
		opt.signer = token_signer_new_async();
	signal(SIGPIPE, SIG_IGN);
	res = armsim_start(&opt, world, doc, &sim, &err);
	opt.signer = NULL; /* armsim_start took it */
	switch (res) {
	case ARMSIM_OK:
		world = NULL;
		doc = NULL;
		policy_engine_attach(sim, engine);
		engine = NULL;
		break;
	case ARMSIM_TLS_FAILED:
	case ARMSIM_LISTEN_FAILED:
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	printf("armsim listening on %s\n", armsim_url(sim));
	fflush(stdout);
	if (ready_path && write_ready_file(ready_path, armsim_url(sim))) {
		ret = EXIT_FAILED;
		goto out;
	}
	sigwait(&signals, &sig);
	ret = EXIT_OK;
out:
	token_signer_free(opt.signer);
	armsim_stop(sim);
	policy_engine_free(engine);
	world_free(world);
	json_decref(doc);
	free(opt.tls_cert_pem);
	free(opt.tls_key_pem);
	strbuf_release(&err);
	return ret;
}

static int cmd_gen_ca(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;
	if (argc != 2)
		return usage("gen-ca needs one argument, the directory%s", "");
	if (gen_ca_write(argv[1], &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
	}
	strbuf_release(&err);
	return ret;
}

static int cmd_world(int argc, char **argv)
{
	struct worldgen_spec spec;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	int ret = EXIT_USAGE;
	if (argc != 3 || strcmp(argv[1], "--generate"))
		return usage("world needs '--generate SPEC'%s", "");
	worldgen_spec_default(&spec);
	if (worldgen_spec_parse(&spec, argv[2], &err)) {
		msg_error("%s", err.buf);
		goto out;
	}
	worldgen_write(&spec, &out);
	if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout)) {
		msg_error("cannot write the world: %s", strerror(errno));
		ret = EXIT_FAILED;
		goto out;
	}
	ret = EXIT_OK;
out:
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}

/* armsim's commands: each parses its own options and calls the library. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;
};

static const struct command commands[] = {
	{ "serve", cmd_serve, "serve a world (ARM and Entra ID) on loopback" },
	{ "gen-ca", cmd_gen_ca, "write a CA and a loopback server certificate into DIR" },
	{ "world", cmd_world, "print a generated world document" },
};

int main(int argc, char **argv)
{
	size_t i;
	msg_set_program("armsim");
	if (argc < 2)
		return usage(NULL, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		fputs("commands:\n", stdout);
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			printf("  %-8s %s\n", commands[i].name, commands[i].summary);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return usage("unknown command '%s'", argv[1]);
}
