/*
 * Unit tests for orchestrator/exemptions: times (dates mean the end of the day, UTC only),
 * statuses at their boundaries, an entry of several resources named stably whatever their
 * order, PUT versus PATCH versus nothing, and output that a hostile string cannot break
 * (CSV quoting and formula guard, Markdown pipes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "orchestrator/exemptions.h"
#include "lib/jsonutil.h"

#define SUB "/subscriptions/11111111-1111-4111-8111-111111111111"
#define AUTH "/providers/Microsoft.Authorization"
#define DAY 86400000LL

static json_t *parse(const char *text)
{
	struct strbuf err = STRBUF_INIT;
	json_t *j = jsonutil_parse(text, strlen(text), "test", &err);
	assert_non_null(j);
	strbuf_release(&err);
	return j;
}

static void test_times(void **state)
{
	int64_t ms;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_int_equal(exemptions_parse_time("2027-03-31", &ms), 0);
	exemptions_format_time(ms, &sb);
	assert_string_equal(sb.buf, "2027-03-31T23:59:59Z"); /* a date runs to its end */
	assert_int_equal(exemptions_parse_time("2027-03-31T12:00:00.5Z", &ms), 0);
	assert_int_equal(ms % 1000, 500);
	assert_int_equal(exemptions_parse_time("2027-03-31T12:00:00+00:00", &ms), 0);
	assert_int_equal(exemptions_parse_time("2027-03-31T12:00:00+02:00", &ms), -1); /* UTC only */
	assert_int_equal(exemptions_parse_time("2027-02-30", &ms), -1);
	assert_int_equal(exemptions_parse_time("2027-3-31", &ms), -1);
	assert_int_equal(exemptions_parse_time("next spring", &ms), -1);
	assert_int_equal(exemptions_parse_time(NULL, &ms), -1);
	strbuf_release(&sb);
}

static void test_status(void **state)
{
	int64_t now;
	json_t *ex;
	(void)state;
	assert_int_equal(exemptions_parse_time("2027-01-01T00:00:00Z", &now), 0);
	ex = parse("{\"properties\": {\"expiresOn\": \"2027-03-01T00:00:00Z\", "
		   "\"metadata\": {\"owner\": \"alice\"}}}");
	assert_int_equal(exemptions_status(ex, now, 30 * DAY), EXEMPTION_ACTIVE);
	/* expiring: within the window, boundary included */
	assert_int_equal(exemptions_status(ex, now + 29 * DAY, 30 * DAY), EXEMPTION_EXPIRING);
	/* expired at the very instant */
	assert_int_equal(exemptions_parse_time("2027-03-01T00:00:00Z", &now), 0);
	assert_int_equal(exemptions_status(ex, now, 30 * DAY), EXEMPTION_EXPIRED);
	assert_int_equal(exemptions_status(ex, now - 1000, 30 * DAY), EXEMPTION_EXPIRING);
	assert_true(exemption_status_fails(EXEMPTION_EXPIRED));
	assert_false(exemption_status_fails(EXEMPTION_EXPIRING));
	json_decref(ex);
	/* no owner, unless expired (expired wins) */
	ex = parse("{\"properties\": {\"expiresOn\": \"2027-03-01T00:00:00Z\", \"metadata\": {}}}");
	assert_int_equal(exemptions_status(ex, now - DAY * 60, 30 * DAY), EXEMPTION_NO_OWNER);
	assert_int_equal(exemptions_status(ex, now + 1, 30 * DAY), EXEMPTION_EXPIRED);
	json_decref(ex);
	ex = parse("{\"properties\": {\"metadata\": {\"owner\": \"bob\"}}}");
	assert_int_equal(exemptions_status(ex, now, 30 * DAY), EXEMPTION_NO_EXPIRY);
	assert_string_equal(exemption_status_name(EXEMPTION_NO_EXPIRY), "no expiry");
	assert_true(exemption_status_fails(EXEMPTION_NO_EXPIRY));
	json_decref(ex);
}

/* A rendered set at one subscription: its initiative with two members. */
static void make_set(struct deploy_set *set)
{
	deploy_set_add(set, DEPLOY_POLICY_SET_DEFINITION, SUB, "ini", SUB AUTH "/policySetDefinitions/ini",
		       "v", parse("{\"properties\": {\"policyDefinitions\": ["
				  "{\"policyDefinitionReferenceId\": \"dine\"},"
				  "{\"policyDefinitionReferenceId\": \"deny\"}]}}"));
	deploy_set_add(set, DEPLOY_POLICY_ASSIGNMENT, SUB, "asg", SUB AUTH "/policyAssignments/asg",
		       "v", parse("{\"properties\": {}}"));
}

static void load_text(const char *text, struct exemption_file *file, struct strbuf *err,
		      struct config *cfg, struct deploy_set *set, int64_t now)
{
	struct exemptions_context ctx;
	struct strbuf warnings = STRBUF_INIT;
	char path[] = "/tmp/test_exemptions.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	free(cfg->exemptions_file);
	cfg->exemptions_file = strdup(path);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.set = set;
	ctx.now_ms = now;
	exemptions_load(&ctx, file, err, &warnings);
	unlink(path);
	strbuf_release(&warnings);
}

static void test_load_and_compare(void **state)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct exemption_file a, b;
	struct strbuf err = STRBUF_INIT, fields = STRBUF_INIT;
	int64_t now;
	json_t *live;
	(void)state;
	config_init_defaults(&cfg);
	make_set(&set);
	assert_int_equal(exemptions_parse_time("2027-01-01T00:00:00Z", &now), 0);
	load_text("{\"exemptions\": [{\"name\": \"two\", \"resources\": [\"" SUB "/resourceGroups/a\", \""
		  SUB "/resourceGroups/b\"], \"members\": [\"DENY\"], \"owner\": \"o\", "
		  "\"expires\": \"2027-02-01\", \"reason\": \"r\"}]}", &a, &err, &cfg, &set, now);
	assert_string_equal(err.buf, "");
	assert_int_equal(a.nr, 2);
	load_text("{\"exemptions\": [{\"name\": \"two\", \"resources\": [\"" SUB "/resourceGroups/B\", \""
		  SUB "/resourceGroups/a\"], \"members\": [\"DENY\"], \"owner\": \"o\", "
		  "\"expires\": \"2027-02-01\", \"reason\": \"r\"}]}", &b, &err, &cfg, &set, now);
	assert_int_equal(b.nr, 2);
	/* names come from the lower-cased id: the same whatever the order or the case */
	assert_string_equal(a.wants[0].name, b.wants[1].name);
	assert_string_equal(a.wants[1].name, b.wants[0].name);
	assert_int_equal(strlen(a.wants[0].name), strlen("two-") + 8);
	assert_string_equal(a.wants[0].assignment_id, SUB AUTH "/policyAssignments/asg");

	/* the live copy as ARM returns it: ids lower-cased, seconds with a fraction */
	live = json_deep_copy(a.wants[0].body);
	json_object_set_new(json_object_get(live, "properties"), "expiresOn",
			    json_string("2027-02-01T23:59:59.0000000Z"));
	json_object_set_new(json_object_get(live, "properties"), "policyAssignmentId",
			    json_string(SUB "/providers/microsoft.authorization/policyassignments/asg"));
	assert_int_equal(exemptions_compare(&a.wants[0], live, &fields), EXEMPTION_SAME);
	assert_true(exemptions_is_managed(live));
	/* resourceSelectors alone: a PATCH */
	json_object_set_new(json_object_get(live, "properties"), "resourceSelectors",
			    parse("[{\"name\": \"x\", \"selectors\": []}]"));
	assert_int_equal(exemptions_compare(&a.wants[0], live, &fields), EXEMPTION_PATCH);
	assert_string_equal(fields.buf, "resourceSelectors");
	/* and the expiry too: a PUT, both fields named */
	strbuf_reset(&fields);
	json_object_set_new(json_object_get(live, "properties"), "expiresOn",
			    json_string("2027-03-01T00:00:00Z"));
	assert_int_equal(exemptions_compare(&a.wants[0], live, &fields), EXEMPTION_PUT);
	assert_string_equal(fields.buf, "expiresOn, resourceSelectors");
	/* someone removed the marker: not ours any more */
	json_object_del(json_object_get(json_object_get(live, "properties"), "metadata"), "managedBy");
	assert_false(exemptions_is_managed(live));

	json_decref(live);
	exemption_file_release(&a);
	exemption_file_release(&b);
	strbuf_release(&err);
	strbuf_release(&fields);
	deploy_set_release(&set);
	config_release(&cfg);
}

static void test_render_hostile(void **state)
{
	json_t *list = parse("[{\"name\": \"x\", \"status\": \"expired\", \"expiresOn\": null, "
			     "\"owner\": \"=HYPERLINK(\\\"http://evil\\\")\", \"managed\": false, "
			     "\"scope\": \"a|b\\nc\", \"resources\": [\"r1\", \"r|2\"]}]");
	struct strbuf out = STRBUF_INIT;
	enum exemptions_format f;
	(void)state;
	assert_int_equal(exemptions_parse_format("csv", &f), 0);
	assert_int_equal(exemptions_parse_format("html", &f), -1);
	exemptions_render(list, EXEMPTIONS_CSV, &out);
	/* quoted, quotes doubled, a leading = defused */
	assert_non_null(strstr(out.buf, "\"'=HYPERLINK(\"\"http://evil\"\")\""));
	assert_non_null(strstr(out.buf, "\"r1 r|2\""));
	strbuf_reset(&out);
	exemptions_render(list, EXEMPTIONS_MARKDOWN, &out);
	assert_non_null(strstr(out.buf, "a\\|b c"));       /* no new cell, no new row */
	assert_non_null(strstr(out.buf, "r1<br>r\\|2"));
	assert_int_equal(strchr(strchr(out.buf, '\n') + 1, '\n') - out.buf > 0, 1);
	strbuf_reset(&out);
	exemptions_render(list, EXEMPTIONS_TABLE, &out);
	assert_null(strstr(out.buf, "a|b\nc"));           /* a newline from the network escaped */
	assert_non_null(strstr(out.buf, "    exempt r|2"));
	strbuf_release(&out);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_load_and_compare),
		cmocka_unit_test(test_render_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
