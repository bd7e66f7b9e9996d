/*
 * preflight — the checks before the first write (see preflight.h).
 *
 * Every network check is one or more reads queued at once on the ARM client (a subscription
 * per call for the scope, providers and tasks; a scope per call for permissions), pumped
 * together; the verdicts are made afterwards from what came back, so the order of answers
 * does not matter. The phase state follows orch.h's rule: callbacks that arrive after the
 * pump returned (a signal) only count down, and the last one frees the state.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "orchestrator/phase.h"
#include "orchestrator/preflight.h"
#include "orchestrator/rbac.h"
#include "orchestrator/tracker.h"
#include "lib/banned.h"

#define PERMISSIONS_API "2022-04-01"
#define PROVIDERS_API "2021-04-01"
#define REGISTER_POLL_MS 1000
#define SHOW_MAX 3 /* subjects named in one line before "and N more" */

/* ---- what is needed (rbac.h says who grants it) ---- */

struct required_action {
	const char *action;
	const char *needed_by;
	int blocking;      /* apply, scan or remediate cannot work without it */
};

static const struct required_action required[] = {
	{ "Microsoft.Authorization/policyDefinitions/write", "apply (policy definitions)", 1 },
	{ "Microsoft.Authorization/policySetDefinitions/write", "apply (the initiative)", 1 },
	{ "Microsoft.Authorization/policyAssignments/write", "apply (the assignment)", 1 },
	{ "Microsoft.Authorization/roleAssignments/write",
	  "apply (role assignments for the assignment's identity)", 1 },
	{ "Microsoft.PolicyInsights/policyStates/triggerEvaluation/action", "scan", 1 },
	{ "Microsoft.PolicyInsights/remediations/write", "remediate", 1 },
	{ "Microsoft.Authorization/policyExemptions/write", "exemptions", 0 },
	{ "Microsoft.Web/sites/write", "fix", 0 },
	{ "Microsoft.ResourceGraph/resources/read", "Resource Graph reads", 0 },
};

/* ---- the report ---- */

static struct preflight_check *add_check(struct preflight *pf, const char *name,
					 enum preflight_status status, const char *fix,
					 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct preflight_check *add_check(struct preflight *pf, const char *name,
					 enum preflight_status status, const char *fix,
					 const char *fmt, ...)
{
	struct preflight_check *c;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	ALLOC_GROW(pf->checks, pf->nr + 1, pf->alloc);
	c = &pf->checks[pf->nr++];
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->name = name;
	c->status = status;
	c->summary = strbuf_detach(&sb, NULL);
	c->fix = fix && *fix ? xstrdup(fix) : NULL;
	return c;
}

size_t preflight_failures(const struct preflight *pf)
{
	size_t i, n = 0;
	for (i = 0; i < pf->nr; i++)
		n += pf->checks[i].status == PREFLIGHT_FAIL;
	return n;
}

static const char *const marks[] = { "✓", "!", "✗" };
static const char *const status_names[] = { "ok", "warning", "failed" };

void preflight_print(const struct preflight *pf, int problems_only)
{
	size_t i;
	for (i = 0; i < pf->nr; i++) {
		const struct preflight_check *c = &pf->checks[i];
		if (problems_only && c->status == PREFLIGHT_PASS)
			continue;
		msg_out("%s %-12s %s\n", marks[c->status], c->name, c->summary);
		if (c->fix)
			msg_out("  %-12s fix: %s\n", "", c->fix);
	}
}

json_t *preflight_to_json(const struct preflight *pf)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < pf->nr; i++) {
		const struct preflight_check *c = &pf->checks[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s?}", "check", c->name,
						   "status", status_names[c->status],
						   "summary", c->summary, "fix", c->fix));
	}
	return a;
}

void preflight_release(struct preflight *pf)
{
	size_t i;
	for (i = 0; i < pf->nr; i++) {
		free(pf->checks[i].summary);
		free(pf->checks[i].fix);
	}
	free(pf->checks);
	pf->checks = NULL;
	pf->nr = pf->alloc = 0;
	pf->task_slots = -1;
}

/* "a, b, c and 4 more" for the first SHOW_MAX of list. */
static void name_some(struct strbuf *out, const struct string_list *list)
{
	size_t i;
	for (i = 0; i < list->nr && i < SHOW_MAX; i++)
		strbuf_addf(out, "%s%s", i ? ", " : "", list->items[i]);
	if (list->nr > SHOW_MAX)
		strbuf_addf(out, " and %zu more", list->nr - SHOW_MAX);
}

/* ---- the credential, from the token's claims ---- */

static json_t *token_claims(const char *token)
{
	const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	struct strbuf b64 = STRBUF_INIT;
	unsigned char *raw = NULL;
	json_t *claims = NULL;
	size_t i;
	int n;
	if (!dot2)
		return NULL;
	for (i = 1; dot1 + i < dot2; i++) {
		char ch = dot1[i];
		strbuf_addch(&b64, ch == '-' ? '+' : ch == '_' ? '/' : ch);
	}
	while (b64.len % 4)
		strbuf_addch(&b64, '=');
	raw = xmalloc(b64.len);
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64.buf, (int)b64.len);
	if (n > 0) {
		/* DecodeBlock counts the padding as zero bytes: JSON ends at its last '}' */
		while (n > 0 && raw[n - 1] != '}')
			n--;
		claims = json_loadb((const char *)raw, (size_t)n, 0, NULL);
	}
	free(raw);
	strbuf_release(&b64);
	return claims;
}

/* Returns 0 when a token came, so the checks that need one may run. */
static int check_credential(struct orch *o, struct preflight *pf)
{
	struct strbuf err = STRBUF_INIT;
	const char *token = NULL;
	struct credential *cred = arm_client_credential(o->arm);
	json_t *claims;
	long long now = (long long)time(NULL), iat, exp;
	const char *oid, *appid, *tid;

	if (arm_client_authenticate(o->arm, &err) || arm_client_token(o->arm, &token, &err)) {
		/* the report names every method tried and ends with its own fix line */
		add_check(pf, "credential", PREFLIGHT_FAIL, NULL, "%s", err.buf);
		strbuf_release(&err);
		return -1;
	}
	strbuf_release(&err);
	claims = token_claims(token);
	oid = json_string_value(json_object_get(claims, "oid"));
	appid = json_string_value(json_object_get(claims, "appid"));
	if (!appid)
		appid = json_string_value(json_object_get(claims, "azp"));
	tid = json_string_value(json_object_get(claims, "tid"));
	iat = json_integer_value(json_object_get(claims, "iat"));
	exp = json_integer_value(json_object_get(claims, "exp"));
	add_check(pf, "credential", PREFLIGHT_PASS, NULL,
		  "%s: principal %s (app %s, tenant %s), token valid %lld min", credential_name(cred),
		  oid ? oid : "?", appid ? appid : "?", tid ? tid : "?",
		  exp > now ? (exp - now) / 60 : 0LL);
	if (iat && iat > now + 120)
		add_check(pf, "clock", PREFLIGHT_WARN, "synchronise this host's clock (NTP)",
			  "this host's clock is %lld s behind the authority's (token issued at %lld)",
			  iat - now, iat);
	else if (iat && credential_kind(cred) != CREDENTIAL_AZURE_CLI &&
		 credential_kind(cred) != CREDENTIAL_MANAGED_IDENTITY && now - iat > 300)
		/* a token fetched seconds ago: a large gap is this clock, not the token's age (the
		 * Azure CLI and the managed-identity endpoints hand out cached tokens, so their
		 * age says nothing) */
		add_check(pf, "clock", PREFLIGHT_WARN, "synchronise this host's clock (NTP)",
			  "this host's clock is %lld s ahead of the authority's", now - iat);
	else if (iat)
		add_check(pf, "clock", PREFLIGHT_PASS, NULL,
			  "within %lld s of the authority's (token iat)", llabs(now - iat));
	json_decref(claims);
	return 0;
}

/* ---- the network checks ---- */

enum probe_kind {
	PROBE_ENDPOINT,    /* GET /subscriptions */
	PROBE_PERMISSIONS,
	PROBE_PROVIDER,
	PROBE_REGISTER,
	PROBE_TASKS,
	PROBE_EXISTING,
};

static const char *const namespaces[] = { "Microsoft.PolicyInsights", "Microsoft.Web" };

struct answer {
	char *subject;   /* owned: a scope, subscription id or resource id */
	int ns;          /* providers: index in namespaces[] */
	int done;        /* an answer came */
	long status;     /* HTTP status (0: none) */
	char *code;      /* owned: the error code, or NULL */
	char *message;   /* owned: one line for the error, or NULL */
	json_t *body;    /* owned: the answer's body on success, kept only where a judge reads
			  * it (endpoint, permissions, tasks): 2,500 subscriptions' provider
			  * bodies alone were 60 MB */
	int registered;  /* providers: Registered now */
	int ours;        /* existing: metadata.generatedBy is policyctl */
};

struct preflight_state {
	struct orch_phase ph;       /* first: see orch.h */
	struct orch *o;
	struct answer endpoint;
	long endpoint_ms;
	struct answer *perms;       /* per scope written to */
	size_t nr_perms;
	struct answer *providers;   /* per subscription × namespace */
	size_t nr_providers;
	struct answer *tasks;       /* per scope listed */
	size_t nr_tasks;
	struct answer *existing;    /* per resource of the set */
	size_t nr_existing;
	size_t next;                /* reads sent so far, in refill's order */
	size_t in_flight;           /* reads sent and not yet answered */
	size_t window;              /* at most this many in flight: a queued call costs memory */
};

struct probe {
	struct preflight_state *st;
	enum probe_kind kind;
	size_t index;
};

static void answer_release(struct answer *a)
{
	free(a->subject);
	free(a->code);
	free(a->message);
	json_decref(a->body);
	memset(a, 0, sizeof(*a));
}

static void answers_free(struct answer *list, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++)
		answer_release(&list[i]);
	free(list);
}

static void free_state(struct orch_phase *ph)
{
	struct preflight_state *st = (struct preflight_state *)ph;
	answer_release(&st->endpoint);
	answers_free(st->perms, st->nr_perms);
	answers_free(st->providers, st->nr_providers);
	answers_free(st->tasks, st->nr_tasks);
	answers_free(st->existing, st->nr_existing);
	free(st);
}

static struct answer *answer_of(struct preflight_state *st, enum probe_kind kind, size_t i)
{
	switch (kind) {
	case PROBE_ENDPOINT: return &st->endpoint;
	case PROBE_PERMISSIONS: return &st->perms[i];
	case PROBE_PROVIDER:
	case PROBE_REGISTER: return &st->providers[i];
	case PROBE_TASKS: return &st->tasks[i];
	default: return &st->existing[i];
	}
}

static void take_answer(struct answer *a, struct arm_response *resp)
{
	struct strbuf line = STRBUF_INIT;
	a->done = 1;
	a->status = resp->status;
	free(a->code);
	free(a->message);
	a->code = a->message = NULL;
	json_decref(a->body);
	a->body = NULL;
	if (resp->result == ARM_OK) {
		a->body = json_incref(resp->body);
		return;
	}
	a->code = resp->error.code ? xstrdup(resp->error.code) : NULL;
	arm_error_format(&resp->error, &line);
	a->message = strbuf_detach(&line, NULL);
}

static void submit(struct preflight_state *st, enum probe_kind kind, size_t index,
		   const char *method, const char *path, const char *api_version, int list,
		   long delay_ms);

static void refill(struct preflight_state *st);

static int is_registered(const json_t *body)
{
	const char *state = json_string_value(json_object_get(body, "registrationState"));
	return state && !strcasecmp(state, "Registered");
}

static void on_probe(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct probe *p = data;
	struct preflight_state *st = p->st;
	enum probe_kind kind = p->kind;
	size_t index = p->index;
	struct answer *a;
	(void)client;
	free(p);
	if (!orch_phase_arrive(&st->ph))
		return;
	a = answer_of(st, kind, index);
	take_answer(a, resp);
	if (kind != PROBE_REGISTER) {
		st->in_flight--;
		refill(st);
	}
	if (kind == PROBE_EXISTING) {
		const char *by = jsonutil_path_string(a->body, "properties.metadata.generatedBy");
		a->ours = by && !strcmp(by, "policyctl");
		if (resp->status == 404) /* apply need not read it again */
			idmap_put(&st->o->found_absent, a->subject, &st->o->found_absent);
	}
	if (kind == PROBE_ENDPOINT)
		st->endpoint_ms = resp->elapsed_ms;
	if (kind == PROBE_PROVIDER || kind == PROBE_REGISTER) {
		a->registered = resp->result == ARM_OK && is_registered(resp->body);
		/* --fix: poll until Registered (the pump's deadline bounds it) */
		if (a->done && resp->result == ARM_OK && !a->registered && kind == PROBE_REGISTER) {
			struct strbuf path = STRBUF_INIT;
			strbuf_addf(&path, "/subscriptions/%s/providers/%s", a->subject, namespaces[a->ns]);
			submit(st, PROBE_REGISTER, index, "GET", path.buf, PROVIDERS_API, 0,
			       REGISTER_POLL_MS);
			strbuf_release(&path);
		}
	}
	if (kind == PROBE_PROVIDER || kind == PROBE_REGISTER || kind == PROBE_EXISTING) {
		json_decref(a->body); /* judged by the flags above */
		a->body = NULL;
	}
}

static void submit(struct preflight_state *st, enum probe_kind kind, size_t index,
		   const char *method, const char *path, const char *api_version, int list,
		   long delay_ms)
{
	struct probe *p = xmalloc(sizeof(*p));
	struct arm_call_options opts;
	memset(&opts, 0, sizeof(opts));
	opts.api_version = api_version;
	opts.delay_ms = delay_ms;
	/* a check that waits minutes is worse than one that says it could not tell */
	opts.timeout_ms = 60000;
	p->st = st;
	p->kind = kind;
	p->index = index;
	st->ph.pending++;
	if (list)
		arm_submit_list(st->o->arm, method, path, NULL, &opts, NULL, on_probe, p);
	else
		arm_submit(st->o->arm, method, path, NULL, &opts, on_probe, p);
}

/* Appends item unless list holds it already (ids compare case-insensitively). */
static void append_unique(struct string_list *list, const char *item)
{
	size_t i;
	for (i = 0; i < list->nr; i++)
		if (!strcasecmp(list->items[i], item))
			return;
	string_list_append(list, item);
}

/*
 * What policyctl writes: every resource id of the set and every scope written to (the
 * assignment scopes, and where definitions live), rendered one assignment scope at a time as
 * apply renders them. A resource in its assignment's own scope is new to the lists; only the
 * few shared ones (definitions at a management group above subscriptions) need the look-up.
 * Returns 0, or -1 with err set.
 */
static int collect_writes(const struct orch *o, struct string_list *ids,
			  struct string_list *scopes, struct strbuf *err)
{
	const struct string_list *at = o->assignment_scopes;
	size_t i, j;
	for (i = 0; i < at->nr; i++) {
		struct deploy_set one = DEPLOY_SET_INIT;
		string_list_append(scopes, at->items[i]);
		if (o->set && deploy_set_scope(o->set, i, &one, err)) {
			deploy_set_release(&one);
			return -1;
		}
		for (j = 0; j < one.nr; j++) {
			const struct deploy_resource *r = &one.resources[j];
			if (!strcasecmp(r->scope, at->items[i])) {
				string_list_append(ids, r->id);
			} else {
				append_unique(ids, r->id);
				append_unique(scopes, r->scope);
			}
		}
		deploy_set_release(&one);
	}
	return 0;
}

static struct answer *answers_new(size_t nr)
{
	return nr ? xcalloc(nr, sizeof(struct answer)) : NULL;
}

/*
 * Sends the next reads while fewer than the window are in flight: the endpoint, then the
 * permissions, providers, task lists and existing resources, in that order. Called once to
 * start and again by each answer, so 2,500 subscriptions' 27,000 reads never sit queued at
 * once (each queued call holds its request).
 */
static void refill(struct preflight_state *st)
{
	struct orch *o = st->o;
	struct strbuf path = STRBUF_INIT;
	size_t nr_ns = ARRAY_SIZE(namespaces);
	size_t total = 1 + st->nr_perms + st->nr_providers + st->nr_tasks + st->nr_existing;
	while (st->in_flight < st->window && st->next < total) {
		size_t i = st->next++;
		st->in_flight++; /* before the send: its answer may count it down */
		strbuf_reset(&path);
		if (i == 0) {
			/* the list is also the scope check: a subscription the principal can read is
			 * in it */
			submit(st, PROBE_ENDPOINT, 0, "GET", "/subscriptions", NULL, 1, 0);
		} else if ((i -= 1) < st->nr_perms) {
			strbuf_addf(&path, "%s/providers/Microsoft.Authorization/permissions",
				    st->perms[i].subject);
			submit(st, PROBE_PERMISSIONS, i, "GET", path.buf, PERMISSIONS_API, 1, 0);
		} else if ((i -= st->nr_perms) < st->nr_providers) {
			strbuf_addf(&path, "/subscriptions/%s/providers/%s",
				    o->subscriptions.items[i / nr_ns], namespaces[i % nr_ns]);
			submit(st, PROBE_PROVIDER, i, "GET", path.buf, PROVIDERS_API, 0, 0);
		} else if ((i -= st->nr_providers) < st->nr_tasks) {
			strbuf_addf(&path, "%s/providers/Microsoft.PolicyInsights/remediations",
				    st->tasks[i].subject);
			submit(st, PROBE_TASKS, i, "GET", path.buf, NULL, 1, 0);
		} else {
			i -= st->nr_tasks;
			submit(st, PROBE_EXISTING, i, "GET", st->existing[i].subject, NULL, 0, 0);
		}
	}
	strbuf_release(&path);
}

/* Sets up an answer per read (its subject) and sends the first window of them. */
static void queue_reads(struct preflight_state *st, const struct string_list *scopes,
			const struct string_list *task_scopes, const struct string_list *ids)
{
	struct orch *o = st->o;
	size_t i, k;

	st->endpoint.subject = xstrdup("/subscriptions");
	st->nr_perms = scopes->nr;
	st->perms = answers_new(st->nr_perms);
	for (i = 0; i < scopes->nr; i++)
		st->perms[i].subject = xstrdup(scopes->items[i]);
	st->nr_providers = o->subscriptions.nr * ARRAY_SIZE(namespaces);
	st->providers = answers_new(st->nr_providers);
	for (i = 0; i < o->subscriptions.nr; i++)
		for (k = 0; k < ARRAY_SIZE(namespaces); k++) {
			size_t n = i * ARRAY_SIZE(namespaces) + k;
			st->providers[n].subject = xstrdup(o->subscriptions.items[i]);
			st->providers[n].ns = (int)k;
		}
	st->nr_tasks = task_scopes->nr;
	st->tasks = answers_new(st->nr_tasks);
	for (i = 0; i < task_scopes->nr; i++)
		st->tasks[i].subject = xstrdup(task_scopes->items[i]);
	st->nr_existing = ids->nr;
	st->existing = answers_new(st->nr_existing);
	for (i = 0; i < st->nr_existing; i++)
		st->existing[i].subject = xstrdup(ids->items[i]);
	/* twice [run] concurrency: every connection busy, little queued */
	st->window = o->cfg->run_concurrency > 0 ? (size_t)o->cfg->run_concurrency * 2 : 64;
	refill(st);
}

/* ---- verdicts ---- */

static void judge_endpoint(struct preflight_state *st, struct preflight *pf)
{
	if (st->endpoint.message)
		add_check(pf, "endpoints", PREFLIGHT_FAIL,
			  "check [cloud] name / arm_endpoint and the network path to Resource Manager",
			  "Resource Manager did not answer: %s", st->endpoint.message);
	else
		add_check(pf, "endpoints", PREFLIGHT_PASS, NULL,
			  "Resource Manager answered in %ld ms (%zu subscriptions visible)",
			  st->endpoint_ms, json_array_size(st->endpoint.body));
}

/* The subscription ids of GET /subscriptions' list (its array of subscriptions), as a set:
 * only the keys matter, every value is the same marker. */
static struct idmap visible_subscriptions(const json_t *list)
{
	static char present;
	struct idmap visible = IDMAP_INIT;
	const json_t *sub;
	size_t i;
	json_array_foreach(list, i, sub) {
		const char *id = json_string_value(json_object_get(sub, "subscriptionId"));
		if (id)
			idmap_put(&visible, id, &present);
	}
	return visible;
}

static int judge_scope(struct preflight_state *st, struct preflight *pf, int resolved)
{
	struct orch *o = st->o;
	struct string_list bad = STRING_LIST_INIT;
	struct strbuf names = STRBUF_INIT;
	struct idmap visible;
	size_t i;
	int ret = 0;

	if (o->cfg->scope_management_group) {
		if (!resolved) {
			add_check(pf, "scope", PREFLIGHT_FAIL,
				  "check [scope] management_group and that the principal has a role "
				  "on it (Reader at least)",
				  "management group '%s' cannot be listed (see the error above)",
				  o->cfg->scope_management_group);
			return -1;
		}
		add_check(pf, "scope", o->subscriptions.nr ? PREFLIGHT_PASS : PREFLIGHT_WARN,
			  o->subscriptions.nr ? NULL : "move subscriptions under it, or name another group",
			  "management group '%s': %zu subscriptions visible",
			  o->cfg->scope_management_group, o->subscriptions.nr);
		return 0;
	}
	if (st->endpoint.message)
		return -1; /* no list to look in: the endpoints check says why */
	visible = visible_subscriptions(st->endpoint.body);
	for (i = 0; i < o->subscriptions.nr; i++)
		if (!idmap_get(&visible, o->subscriptions.items[i]))
			string_list_append(&bad, o->subscriptions.items[i]);
	idmap_clear(&visible);
	if (bad.nr) {
		name_some(&names, &bad);
		add_check(pf, "scope", PREFLIGHT_FAIL,
			  "check [scope] subscriptions and the principal's role on each (Reader at least)",
			  "%zu of %zu subscriptions cannot be read: %s (not among the %zu subscriptions "
			  "the principal can see)", bad.nr, o->subscriptions.nr, names.buf,
			  json_array_size(st->endpoint.body));
		ret = -1;
	} else {
		add_check(pf, "scope", PREFLIGHT_PASS, NULL, "%zu subscriptions, each visible",
			  o->subscriptions.nr);
	}
	string_list_clear(&bad);
	strbuf_release(&names);
	return ret;
}

static void judge_permissions(struct preflight_state *st, struct preflight *pf)
{
	struct strbuf missing = STRBUF_INIT, warn = STRBUF_INIT, fix = STRBUF_INIT;
	struct strbuf roles_line = STRBUF_INIT;
	size_t i, r, blocking = 0, minor = 0;

	for (i = 0; i < st->nr_perms; i++) {
		struct answer *a = &st->perms[i];
		if (a->message) {
			add_check(pf, "permissions", PREFLIGHT_FAIL, NULL,
				  "cannot read the permissions at '%s': %s", a->subject, a->message);
			goto out;
		}
	}
	for (r = 0; r < ARRAY_SIZE(required); r++) {
		struct string_list where = STRING_LIST_INIT;
		for (i = 0; i < st->nr_perms; i++) {
			if (!rbac_permissions_allow(st->perms[i].body, required[r].action))
				string_list_append(&where, st->perms[i].subject);
		}
		if (where.nr) {
			struct strbuf *sb = required[r].blocking ? &missing : &warn;
			struct strbuf scopes = STRBUF_INIT;
			name_some(&scopes, &where);
			strbuf_reset(&roles_line);
			rbac_roles_granting(required[r].action, &roles_line);
			strbuf_addf(sb, "%s%s for %s at %s (granted by %s)", sb->len ? "; " : "",
				    required[r].action, required[r].needed_by, scopes.buf,
				    roles_line.buf);
			if (required[r].blocking)
				blocking++;
			else
				minor++;
			strbuf_release(&scopes);
		}
		string_list_clear(&where);
	}
	if (blocking) {
		strbuf_addstr(&fix, "assign the principal one of the roles named, at the scope named "
			      "(role assignments need Owner, User Access Administrator or Role Based "
			      "Access Control Administrator)");
		add_check(pf, "permissions", PREFLIGHT_FAIL, fix.buf, "missing: %s", missing.buf);
	}
	if (minor)
		add_check(pf, "permissions", PREFLIGHT_WARN,
			  "only the commands named need these; assign one of the roles named to use them",
			  "missing for other commands: %s", warn.buf);
	if (!blocking && !minor)
		add_check(pf, "permissions", PREFLIGHT_PASS, NULL,
			  "every action apply, scan, remediate, fix and exemptions need, at %zu scope%s",
			  st->nr_perms, st->nr_perms == 1 ? "" : "s");
out:
	strbuf_release(&missing);
	strbuf_release(&warn);
	strbuf_release(&fix);
	strbuf_release(&roles_line);
}

static void judge_providers(struct preflight_state *st, struct preflight *pf, int fixed)
{
	size_t k, i;
	for (k = 0; k < ARRAY_SIZE(namespaces); k++) {
		struct string_list bad = STRING_LIST_INIT, unknown = STRING_LIST_INIT;
		struct strbuf names = STRBUF_INIT, fix = STRBUF_INIT;
		int blocking = k == 0;
		const char *why = NULL;
		size_t total = 0;
		for (i = k; i < st->nr_providers; i += ARRAY_SIZE(namespaces)) {
			struct answer *a = &st->providers[i];
			total++;
			if (a->registered)
				continue;
			if (a->message && !why)
				why = a->message;
			string_list_append(a->message ? &unknown : &bad, a->subject);
		}
		if (bad.nr) {
			name_some(&names, &bad);
			strbuf_addf(&fix, "run 'policyctl doctor --fix' (or 'az provider register "
				    "--namespace %s' in each subscription)", namespaces[k]);
			add_check(pf, "providers", blocking ? PREFLIGHT_FAIL : PREFLIGHT_WARN, fix.buf,
				  "%s is not registered in %zu of %zu subscriptions: %s%s%s",
				  namespaces[k], bad.nr, total, names.buf,
				  fixed ? " (registration did not finish in time)" : "",
				  blocking ? "" : " (fix needs it)");
		} else if (unknown.nr) {
			name_some(&names, &unknown);
			add_check(pf, "providers", PREFLIGHT_WARN, NULL,
				  "cannot read %s's registration in %s: %s", namespaces[k], names.buf, why);
		} else {
			add_check(pf, "providers", PREFLIGHT_PASS, NULL,
				  "%s registered in all %zu subscriptions%s", namespaces[k], total,
				  fixed ? " (after --fix)" : "");
		}
		string_list_clear(&bad);
		string_list_clear(&unknown);
		strbuf_release(&names);
		strbuf_release(&fix);
	}
}

static void judge_tasks(struct preflight_state *st, const struct preflight_options *opts,
			struct preflight *pf)
{
	long configured = st->o->cfg->remediation_max_concurrent_tasks;
	long others = 0, own = 0, slots;
	size_t i, j, unregistered = 0;
	json_t *task;

	for (i = 0; i < st->nr_tasks; i++) {
		struct answer *a = &st->tasks[i];
		if (a->code && !strcmp(a->code, "MissingSubscriptionRegistration")) {
			unregistered++;
			continue;
		}
		if (a->message) {
			add_check(pf, "tasks", PREFLIGHT_WARN, NULL,
				  "cannot list the remediation tasks at '%s': %s", a->subject, a->message);
			return;
		}
		json_array_foreach(a->body, j, task) {
			const char *name = json_string_value(json_object_get(task, "name"));
			const char *state = json_string_value(json_object_get(
				json_object_get(task, "properties"), "provisioningState"));
			if (tracker_state_is_terminal(state))
				continue;
			if (opts->own_task_prefix && name &&
			    !strncmp(name, opts->own_task_prefix, strlen(opts->own_task_prefix)))
				own++;
			else
				others++;
		}
	}
	slots = PREFLIGHT_AZURE_TASK_LIMIT - others;
	if (slots > configured)
		slots = configured;
	if (slots < 0)
		slots = 0;
	pf->task_slots = slots;
	if (!slots)
		add_check(pf, "tasks", PREFLIGHT_FAIL,
			  "wait for those tasks to finish (or cancel them), then run again",
			  "%ld remediation tasks of others are active in scope: none of Azure's %d "
			  "slots is left", others, PREFLIGHT_AZURE_TASK_LIMIT);
	else if (slots < configured)
		add_check(pf, "tasks", PREFLIGHT_WARN, NULL,
			  "%ld remediation tasks of others are active in scope: %ld of Azure's %d slots "
			  "left, so at most %ld of ours run at once (max_concurrent_tasks = %ld)",
			  others, PREFLIGHT_AZURE_TASK_LIMIT - others, PREFLIGHT_AZURE_TASK_LIMIT,
			  slots, configured);
	else
		add_check(pf, "tasks", PREFLIGHT_PASS, NULL,
			  "%ld active remediation tasks of others in scope%s; %ld of ours may run at "
			  "once", others, unregistered ? " (more where Microsoft.PolicyInsights is not "
			  "registered cannot be listed)" : "", slots);
	(void)own;
}

static void judge_names(struct orch *o, struct preflight *pf)
{
	const struct config *cfg = o->cfg;
	size_t len = strlen(cfg->assignment_name);
	if (cfg->scope_management_group)
		add_check(pf, "names", len <= 24 ? PREFLIGHT_PASS : PREFLIGHT_FAIL,
			  len <= 24 ? NULL : "choose a shorter [assignment] name",
			  "assignment '%s': %zu of 24 characters allowed at management-group scope",
			  cfg->assignment_name, len);
	else
		add_check(pf, "names", PREFLIGHT_PASS, NULL,
			  "assignment '%s': %zu of 128 characters allowed at subscription scope",
			  cfg->assignment_name, len);
}

static void judge_existing(struct preflight_state *st, struct preflight *pf)
{
	struct string_list foreign = STRING_LIST_INIT;
	struct strbuf names = STRBUF_INIT;
	size_t i, ours = 0, absent = 0, unreadable = 0;
	const char *why = NULL;

	if (!st->nr_existing)
		return;
	for (i = 0; i < st->nr_existing; i++) {
		struct answer *a = &st->existing[i];
		if (a->status == 404) {
			absent++;
			continue;
		}
		if (a->message) {
			unreadable++;
			if (!why)
				why = a->message;
			continue;
		}
		if (a->ours)
			ours++;
		else
			string_list_append(&foreign, a->subject);
	}
	if (foreign.nr) {
		name_some(&names, &foreign);
		add_check(pf, "definitions", PREFLIGHT_FAIL,
			  "choose other names ([initiative] name, [assignment] name) or remove them "
			  "if they are stale: apply would overwrite them",
			  "%zu already exist and are not policyctl's (no metadata.generatedBy = "
			  "policyctl): %s", foreign.nr, names.buf);
	} else if (unreadable) {
		add_check(pf, "definitions", PREFLIGHT_WARN, NULL,
			  "%zu cannot be read: %s", unreadable, why);
	} else {
		add_check(pf, "definitions", PREFLIGHT_PASS, NULL,
			  "%zu to create, %zu present and policyctl's", absent, ours);
	}
	string_list_clear(&foreign);
	strbuf_release(&names);
}

static void check_ledger(const struct config *cfg, struct preflight *pf)
{
	const char *path = cfg->run_ledger;
	struct strbuf lock = STRBUF_INIT, dir = STRBUF_INIT, holder = STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd;

	strbuf_addf(&lock, "%s.lock", path);
	if (slash)
		strbuf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	else
		strbuf_addstr(&dir, ".");
	if (access(path, F_OK) == 0 ? access(path, R_OK | W_OK) < 0 : access(dir.buf, W_OK | X_OK) < 0) {
		add_check(pf, "ledger", PREFLIGHT_FAIL, "point [run] ledger at a writable place",
			  "'%s' is not writable: %s", path, strerror(errno));
		goto out;
	}
	/* held: someone runs now (the lock file is the ledger's own, see ledger.c) */
	fd = open(lock.buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			strbuf_read_file(&holder, lock.buf, 64);
			strbuf_trim(&holder);
			add_check(pf, "ledger", PREFLIGHT_FAIL,
				  "wait for it to finish, or stop it and rerun to resume",
				  "'%s' is in use by another policyctl (pid %s)", path,
				  holder.len ? holder.buf : "unknown");
			close(fd);
			goto out;
		}
		close(fd);
	}
	add_check(pf, "ledger", PREFLIGHT_PASS, NULL, "'%s' is writable and not in use", path);
out:
	strbuf_release(&lock);
	strbuf_release(&dir);
	strbuf_release(&holder);
}

/* --fix: POST register for every namespace not registered; the answers poll to Registered. */
static size_t queue_registrations(struct preflight_state *st)
{
	struct strbuf path = STRBUF_INIT;
	size_t i, n = 0;
	for (i = 0; i < st->nr_providers; i++) {
		struct answer *a = &st->providers[i];
		if (a->registered || a->message)
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "/subscriptions/%s/providers/%s/register", a->subject,
			    namespaces[a->ns]);
		msg_note("registering %s in subscription %s", namespaces[a->ns], a->subject);
		submit(st, PROBE_REGISTER, i, "POST", path.buf, PROVIDERS_API, 0, 0);
		n++;
	}
	strbuf_release(&path);
	return n;
}

enum orch_result preflight_run(struct orch *o, const struct preflight_options *opts,
			       struct preflight *pf)
{
	struct preflight_state *st = NULL;
	struct string_list scopes = STRING_LIST_INIT, task_scopes = STRING_LIST_INIT;
	struct string_list ids = STRING_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	enum orch_result ret = ORCH_OK;
	int resolved = 1, fixed = 0;
	size_t i;

	preflight_release(pf);
	if (check_credential(o, pf))
		goto local;
	if (orch_resolve_subscriptions(o) != ORCH_OK)
		resolved = 0;
	if (orch_interrupted) {
		ret = ORCH_INTERRUPTED;
		goto out;
	}
	if (collect_writes(o, &ids, &scopes, &err)) {
		add_check(pf, "definitions", PREFLIGHT_FAIL, NULL, "cannot render them: %s", err.buf);
		goto local;
	}
	/* tasks at the assignment scopes and, below a management group, in each subscription */
	for (i = 0; i < o->assignment_scopes->nr; i++)
		string_list_append(&task_scopes, o->assignment_scopes->items[i]);
	if (o->cfg->scope_management_group)
		for (i = 0; i < o->subscriptions.nr; i++) {
			struct strbuf s = STRBUF_INIT;
			strbuf_addf(&s, "/subscriptions/%s", o->subscriptions.items[i]);
			string_list_append(&task_scopes, s.buf);
			strbuf_release(&s);
		}
	st = xcalloc(1, sizeof(*st));
	st->ph.free_fn = free_state;
	st->o = o;
	queue_reads(st, &scopes, &task_scopes, &ids);
	ret = orch_pump(o, &st->ph.pending, 0);
	if (ret)
		goto out;
	if (opts->fix && queue_registrations(st)) {
		long wait = opts->fix_timeout_ms > 0 ? opts->fix_timeout_ms : 300000;
		ret = orch_pump(o, &st->ph.pending, orch_now_ms() + wait);
		if (ret == ORCH_TIMEOUT)
			ret = ORCH_OK; /* judged below: what is still not Registered is named */
		if (ret)
			goto out;
		fixed = 1;
	}
	judge_endpoint(st, pf);
	if (judge_scope(st, pf, resolved) == 0 || o->subscriptions.nr) {
		judge_permissions(st, pf);
		judge_providers(st, pf, fixed);
		judge_tasks(st, opts, pf);
	}
	judge_names(o, pf);
	judge_existing(st, pf);
local:
	if (opts->check_ledger)
		check_ledger(o->cfg, pf);
out:
	if (st)
		orch_phase_leave(&st->ph);
	string_list_clear(&scopes);
	string_list_clear(&task_scopes);
	string_list_clear(&ids);
	strbuf_release(&err);
	return ret;
}

enum orch_result preflight_gate(struct orch *o)
{
	struct preflight pf = PREFLIGHT_INIT;
	struct preflight_options opts;
	struct strbuf prefix = STRBUF_INIT, names = STRBUF_INIT;
	enum orch_result ret;
	size_t i, failures;

	memset(&opts, 0, sizeof(opts));
	if (o->ledger) {
		/* ledger_task_name: "policyctl-<run uid>-..." */
		strbuf_addf(&prefix, "policyctl-%s-", o->run.uid);
		opts.own_task_prefix = prefix.buf;
	}
	ret = preflight_run(o, &opts, &pf);
	if (ret)
		goto out;
	for (i = 0; i < pf.nr; i++) {
		const struct preflight_check *c = &pf.checks[i];
		if (c->status == PREFLIGHT_PASS)
			continue;
		if (c->status == PREFLIGHT_FAIL) {
			msg_error("preflight: %s: %s%s%s", c->name, c->summary, c->fix ? "\n  fix: " : "",
				  c->fix ? c->fix : "");
			strbuf_addf(&names, "%s%s", names.len ? ", " : "", c->name);
		} else {
			msg_warning("preflight: %s: %s", c->name, c->summary);
		}
	}
	if (pf.task_slots > 0)
		o->task_slots = pf.task_slots;
	failures = preflight_failures(&pf);
	if (failures) {
		msg_error("stopped before the first write: %zu preflight check%s failed (%s); "
			  "'policyctl doctor' shows every check, --skip-preflight goes on regardless",
			  failures, failures == 1 ? "" : "s", names.buf);
		ret = ORCH_USAGE;
	} else {
		msg_debug("preflight: %zu checks passed", pf.nr);
	}
out:
	preflight_release(&pf);
	strbuf_release(&prefix);
	strbuf_release(&names);
	return ret;
}
