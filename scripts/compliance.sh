#!/usr/bin/env bash
# `make compliance`: start Roster on a temporary SQLite database, issue a SCIM token, run the
# public compliance suites scim2-tester (through scim2-cli) and scim-sanity against it, and print
# "compliance: N passed, M failed". Exit status 0 when nothing failed.
# COMPLIANCE_DATABASE_URL=postgresql://…/db runs them on that PostgreSQL database instead (it
# should be empty: the suites create and delete users and groups).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=.venv/bin
work=$(mktemp -d /tmp/roster-compliance.XXXXXX)
port=${PORT:-8765}
export ROSTER_DATABASE_URL="${COMPLIANCE_DATABASE_URL:-sqlite:///$work/roster.db}"
export ROSTER_PORT=$port ROSTER_ACCESS_LOG=false
# The tools rename users; renames of LOCAL users are refused by design (rule 7), so run the
# suites the way IdPs meet Roster in production: with an identity provider configured.
$BIN/roster auth configure --type CUSTOM --display-name compliance >/dev/null 2>&1 || exit 1
token=$($BIN/roster token create-scim --name compliance) || exit 1
$BIN/roster serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
base="http://127.0.0.1:$port/scim/v2"
# The suites delete and deactivate dozens of users of a near-empty directory within a minute:
# the very wave the deprovisioning guard holds (rule 19, 20 writes at the least), after which
# their reads see the users unchanged. Switch it off for the run, as an operator would before a
# known bulk clean-up, through the API (an OWNER's token).
admin=$($BIN/roster token create-admin --login compliance@example.com --role owner) || exit 1
off='{"query": "mutation { updateDeprovisioningGuard(input: {enabled: false}) { guard { state } userErrors { message } } }"}'
if ! curl -fsS "http://127.0.0.1:$port/graphql" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d "$off" | grep -q '"state":"OFF"'; then
  echo "compliance: could not switch the deprovisioning guard off" >&2
  exit 1
fi

export SCIM_CLI_HEADERS="Authorization: Bearer $token"
NO_COLOR=1 $BIN/scim2 --url "$base" test </dev/null >"$work/scim2-tester.txt" 2>&1
t_rc=$?
t_pass=$(grep -cE '^(SUCCESS|COMPLIANT|ACCEPTABLE) ' "$work/scim2-tester.txt")
# Group members carry `display`, a readOnly sub-attribute the server fills in (RFC 7643 §2.4;
# rule 18, docs/rules.md). scim2-tester's PATCH add/replace checks compare the members they sent
# (display=None) with what comes back, so they fail on exactly that difference: a result whose
# values differ in nothing but a server-filled display is a documented deviation. Anything else
# is a failure.
read -r t_fail t_doc < <($BIN/python - "$work/scim2-tester.txt" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
failed = documented = 0
for i, line in enumerate(lines):
    if not re.match(r"(DEVIATION|ERROR|CRITICAL) ", line):
        continue
    block = lines[i + 1 : i + 4]
    sent = next((b[len("Patched value: "):] for b in block if b.startswith("Patched value: ")), None)
    back = next((b[len("Returned value: "):] for b in block if b.startswith("Returned value: ")), None)
    strip = lambda text: re.sub(r"display=(None|'[^']*')", "display=…", text)
    if (
        sent is not None and back is not None and "display=None" in sent
        and "display='" in back and strip(sent) == strip(back)
    ):
        documented += 1
        print(f"  documented: {line} (members come back with their display)", file=sys.stderr)
    else:
        failed += 1
        print(f"  {line}", *(f"    {b}" for b in block[:1]), sep="\n", file=sys.stderr)
print(failed, documented)
PY
)
if [ "$t_rc" -ne 0 ] && [ $((t_pass + t_fail + t_doc)) -eq 0 ]; then t_fail=1; fi
echo "scim2-tester: $t_pass passed, $t_fail failed, $t_doc documented (member display)"

$BIN/scim-sanity probe "$base" --token "$token" --i-accept-side-effects --json-output --strict \
  </dev/null >"$work/scim-sanity.json" 2>"$work/scim-sanity.err"
# Group PATCH answers 204 by design (Entra's guidance for large groups; README "SCIM"): those
# scim-sanity results are reported as documented deviations, not failures.
read -r s_pass s_fail s_doc < <($BIN/python - "$work/scim-sanity.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    failed = documented = 0
    for r in d.get("results", []):
        if r["status"] not in ("fail", "error"):
            continue
        msg = r.get("message", "").replace("\n", " ")
        if r["name"].startswith("PATCH /Groups") and "204" in msg:
            documented += 1
            print(f"  documented: {r['name']}: {msg}", file=sys.stderr)
        else:
            failed += 1
            print(f"  {r['status'].upper()} {r['name']}: {msg}", file=sys.stderr)
    print(d["summary"]["passed"], failed, documented)
except Exception:
    print(0, 1, 0)
PY
)
echo "scim-sanity: $s_pass passed, $s_fail failed, $s_doc documented (Group PATCH 204)"
echo "raw outputs: $work"
echo "compliance: $((t_pass + s_pass)) passed, $((t_fail + s_fail)) failed"
[ $((t_fail + s_fail)) -eq 0 ]
