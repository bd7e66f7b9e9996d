#!/bin/sh
# The HTML report of a small contain run, opened in a real browser (headless Chromium, from
# scripts/install-deps.sh --ci): the page's text holds the headline figures of the run's JSON
# report, the progress chart has one point per recorded progress point and series, the scope
# chart one bar per subscription, failures are grouped by code; hostile names put into the
# ledger (a site name and a message from "Azure") show as text and create no element; the page
# loads nothing from anywhere (no script, no external reference); a screenshot renders.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

orch_world "mgs=1,subs=3,sites=5,noncompliant=0.8,slots=0,functions=0.3,locked=0.2,seed=6"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"
set +e
"$POLICYCTL" -q -c policyctl.ini contain >"$WORK/contain.out" 2>&1
rc=$?
set -e
[ "$rc" -le 1 ] || { cat "$WORK/contain.out" >&2; fail "contain exited $rc"; }
stop_armsim

# hostile names, as Azure could send them: a site name and an error message with markup
hostile_site="<img src=x onerror=alert(1)>'\"&amp;"
hostile_msg="</td></tr></table><script>alert(2)</script><svg onload=alert(3)>"
run_id=$(sqlite3 policyctl.ledger "SELECT MAX(id) FROM runs")
sqlite3 policyctl.ledger "INSERT INTO failures (run_id, kind, subject, code, message, request_id,
	correlation_id, at_ms) VALUES ($run_id, 'deployment',
	'/subscriptions/<u onmouseover=alert(4)>evil/resourceGroups/rg/providers/Microsoft.Web/sites/' || '$(printf '%s' "$hostile_site" | sed "s/'/''/g")',
	'<i>Code</i>', '$(printf '%s' "$hostile_msg" | sed "s/'/''/g")', 'req-<1>', 'corr-\"2\"', 0)"

expect_exit 0 "$POLICYCTL" -q -c policyctl.ini report --format json
cp "$WORK/out" report.json
expect_exit 0 "$POLICYCTL" -q -c policyctl.ini report --format html --out report.html
[ -s report.html ] || fail "report.html is empty"
points=$(sqlite3 policyctl.ledger "SELECT COUNT(*) FROM progress WHERE run_id = $run_id")
[ "$points" -ge 2 ] || fail "expected at least 2 progress points in the ledger, got $points"

# nothing to fetch, nothing to run: no script, no attribute or CSS that names a resource
if grep -nE '<script|<[a-zA-Z][^>]* (src|href|xlink:href)=|@import|url\(' report.html >"$WORK/refs"; then
	cat "$WORK/refs" >&2
	fail "the report refers to something outside itself"
fi

# usage and output errors
expect_exit 2 "$POLICYCTL" -q -c policyctl.ini report --format pdf
assert_contains "$WORK/err" "expected one of table|json|markdown|html, got 'pdf'"
expect_exit 1 "$POLICYCTL" -q -c policyctl.ini report --format html --out "$WORK/no/such/dir/r.html"
assert_contains "$WORK/err" "cannot write '$WORK/no/such/dir/r.html'"
expect_exit 0 "$POLICYCTL" -q -c policyctl.ini report --format html
cmp -s "$WORK/out" report.html || fail "the page on standard output differs from --out's"

browser=""
for b in chromium chromium-browser; do
	command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
[ -n "$browser" ] || skip "chromium is not installed (scripts/install-deps.sh --ci installs it); the checks without a browser passed"

# the browser: nothing may leave the machine (no proxy reachable, no name resolves)
chrome() {
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --no-pings --user-data-dir="$WORK/profile" \
		--proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" "$@" 2>>"$WORK/chrome.err"
}
chrome --dump-dom "file://$WORK/report.html" >dom.html || { tail "$WORK/chrome.err" >&2; fail "chromium could not load the report"; }
[ -s dom.html ] || { tail "$WORK/chrome.err" >&2; fail "chromium dumped an empty DOM"; }
chrome --screenshot="$WORK/report.png" --window-size=1000,1800 --hide-scrollbars \
	"file://$WORK/report.html" >/dev/null || fail "chromium could not take a screenshot"
[ "$(wc -c <report.png)" -gt 20000 ] || fail "the screenshot is suspiciously small"

python3 - "$points" "$hostile_site" "$hostile_msg" <<'PY' || fail "the page in the browser is not what the report says"
import json, sys
from html.parser import HTMLParser

points, hostile_site, hostile_msg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
report = json.load(open("report.json"))
tot = report["totals"]

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.stack, self.text = [], {}, [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self.stack.append(a.get("id"))
    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)
        for i in self.stack:
            if i:
                self.ids[i] = self.ids.get(i, "") + data

dom = Dom()
dom.feed(open("dom.html", encoding="utf-8").read())
text = "".join(dom.text)
problems = []
def want(what, got, expected):
    if got != expected:
        problems.append(f"{what}: page shows {got!r}, expected {expected!r}")

found, ok = tot["deployments"], tot["deployments_succeeded"]
now = tot["noncompliant_remaining"] if tot["verified"] else max(found - ok, 0)
want("non-compliant now", dom.ids.get("v-noncompliant", "").strip(), str(now))
want("compliant now", dom.ids.get("v-compliant", "").strip(), str(ok))
want("at risk now", dom.ids.get("v-atrisk", "").strip(), str(now))
want("exempt", dom.ids.get("v-exempt", "").strip(), "\u2014")
if f"was {found} when the run started" not in text:
    problems.append(f"headline lacks the start figure {found}")
if tot["deployments"] == 0 or ok == 0:
    problems.append("the run remediated nothing: the test world is wrong")

classes = lambda tag, cls: [a for t, a in dom.tags if t == tag and cls in (a.get("class") or "").split()]
bars = classes("g", "bar")
want("bars", len(bars), len(report["subscriptions"]))
series = classes("g", "series")
want("series", len(series), 3)
want("chart points", len(classes("circle", "pt")), 3 * min(points, 120))
# worst first: the hostile row (1 failure, nothing else) is not ahead of a row with more trouble
bad = lambda s: s["noncompliant_remaining"] + s["deployments_failed"] + s["failures"]
order = [b["data-scope"] for b in bars]
by_name = {s["subscription"]: s for s in report["subscriptions"]}
scores = [bad(by_name[n]) for n in order]
if scores != sorted(scores, reverse=True):
    problems.append(f"bars are not worst first: {list(zip(order, scores))}")

codes = {f["code"] for f in report["failures"]}
shown = [a for t, a in dom.tags if t == "h3" and "code" in (a.get("class") or "")]
want("failure groups", len(shown), len(codes))
if "ScopeLocked" not in codes:
    problems.append("the run has no ScopeLocked failure: the test world is wrong")

# hostile strings: shown as text, no element made of them
for t, a in dom.tags:
    if t in ("script", "img", "i", "u") or any(k.startswith("on") for k in a):
        problems.append(f"an element came from data: <{t} {a}>")
for s in (hostile_site, hostile_msg, "<u onmouseover=alert(4)>evil", "<i>Code</i>", "req-<1>", 'corr-"2"'):
    if s not in text:
        problems.append(f"hostile text {s!r} is not shown literally")
if "<u onmouseover=alert(4)>evil" not in order:
    problems.append("the hostile subscription has no bar of its own")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
echo "report in chromium: $points progress points, $(jq '.subscriptions | length' report.json) bars, hostile names escaped"
