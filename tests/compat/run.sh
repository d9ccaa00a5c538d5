#!/usr/bin/env bash
# Auth0 SDK compatibility suites: real Auth0 Node SDKs, unchanged, against a fresh Gatehouse dev tenant.
#
#   1. Management API — the `auth0` package's ManagementClient builds the seed guide's configuration and reads
#      it back (tests/compat/mgmt), once on SQLite and once on PostgreSQL (a fresh schema).
#   1c. The Auth0 Deploy CLI (auth0-deploy-cli, pinned): `a0deploy export --format directory` and `a0deploy import`
#      of an edited directory with keywords, read back through the Management API; the same both ways in its
#      YAML format, with `gatehouse tenant export/plan` on the tenant.yaml (tests/compat/deploy).
#   1b. openid-client 6 (tests/compat/oidc): private_key_jwt, pushed authorization requests, DPoP and the
#      device flow, and express-oauth2-jwt-bearer verifying DPoP-bound tokens, on a fresh dev tenant.
#   2. The guide's own Node code — the step-7 Express API (express-oauth2-jwt-bearer) checked with
#      client-credentials tokens (tests/compat/checks/api.test.js); then the guide's Next.js app
#      (nextjs-auth0 v3) built, started and driven in Chromium with the Express API behind it
#      (tests/compat/checks/browser.test.js); organizations through nextjs-auth0's handleLogin/handleCallback
#      organization options and an express-oauth2-jwt-bearer claim check on org_id
#      (tests/compat/checks/organizations.test.js, its API on :3210); a post-login Action with
#      api.multifactor.enable('any'): the admin signs in with password + TOTP and keeps the roles claim
#      (tests/compat/checks/mfa.test.js).
#   3. auth0-spa-js in Chromium: redirect sign-in, silent authentication in an iframe (web_message),
#      reloads, refresh token rotation, logout, an unlisted origin (tests/compat/sdk/spa.test.js); with
#      useDpop: DPoP-bound tokens, fetchWithAuth on an express-oauth2-jwt-bearer API, refresh
#      (tests/compat/sdk/spa-dpop.test.js).
#      auth0-react in a small app bundled once with esbuild: withAuthenticationRequired, useAuth0,
#      getAccessTokenSilently on the guide's Express API (tests/compat/sdk/react.test.js).
#   4. express-openid-connect with its defaults (id_token + form_post) and with response_type code:
#      sign-in, req.oidc.user, requiresAuth, refresh, logout (tests/compat/sdk/express-oidc.test.js).
#   5. nextjs-auth0 v4 (tests/compat/nextapp4, built once) in Chromium: its middleware and /auth/* routes,
#      getSession(), getAccessToken() with refresh, logout, back-channel logout through its
#      /auth/backchannel-logout with a session store on :3230 (tests/compat/sdk/nextjs4.test.js).
#
# Everything listens on and talks to 127.0.0.1/localhost only: Gatehouse on GATEHOUSE_COMPAT_PORT (default
# 4433), the Next.js app on 3000 and the Express API on 3001 (the ports the guide's URLs name), the other
# SDKs' apps on 3100-3199. Suites 2-5 share one Gatehouse.
# Environment: GATEHOUSE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable),
# GATEHOUSE_COMPAT_BROWSER=0 (skip the Next.js/Chromium part), GATEHOUSE_COMPAT_SKIP_POSTGRES=1 (SQLite only),
# GATEHOUSE_TEST_CHROMIUM (browser binary; default /usr/bin/chromium, installed with apt-get when missing),
# GATEHOUSE_COMPAT_KEEP=1 (keep the work directory, with the browser suites' screenshots, after a pass).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${GATEHOUSE_COMPAT_PORT:-4433}"
PG_URL="${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-compat.XXXXXX")"
export NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_audit=false npm_config_fund=false
export npm_config_update_notifier=false

CURRENT_STEP="setup"
STEP_STARTED=$SECONDS
GH_PID="" GH_LOG="" GH_DATA=""
PIDS=()
PG_SCHEMA=""

step() {
  if [ "$CURRENT_STEP" != "setup" ]; then
    printf -- '--- compat: %s took %ss\n' "$CURRENT_STEP" "$((SECONDS - STEP_STARTED))"
  fi
  CURRENT_STEP="$*"
  STEP_STARTED=$SECONDS
  printf '\n=== compat: %s\n' "$*"
}

# Each background process runs in its own process group (setsid), so stopping it also stops its children
# (next start, npm); only groups started here are signalled.
start_bg() { # log-file command...
  local log="$1"; shift
  setsid "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}

stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

on_exit() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [ -n "$PG_SCHEMA" ]; then
    psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1
  fi
  if [ "$rc" -ne 0 ]; then
    printf '\n*** compat: FAILED at step: %s (exit %s)\n' "$CURRENT_STEP" "$rc"
    if [ -n "$GH_LOG" ] && [ -f "$GH_LOG" ]; then
      printf -- '--- last 40 lines of the Gatehouse log (%s):\n' "$GH_LOG"
      tail -n 40 "$GH_LOG"
    fi
    for log in "$WORK"/next-start.log "$WORK"/express.log "$WORK"/screenshots/next4-start.log; do
      if [ -s "$log" ]; then printf -- '--- last 20 lines of %s:\n' "$log"; tail -n 20 "$log"; fi
    done
    printf -- '--- logs kept in %s\n' "$WORK"
    totals
  else
    printf -- '--- compat: %s took %ss\n' "$CURRENT_STEP" "$((SECONDS - STEP_STARTED))"
    printf '\n=== compat: all suites passed in %ss\n' "$SECONDS"
    totals
    if [ "${GATEHOUSE_COMPAT_KEEP:-}" = "1" ]; then
      printf -- '--- logs and screenshots kept in %s\n' "$WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http URL SECONDS PID: until URL answers at all, or fail when the process died or time ran out.
wait_http() {
  local url="$1" limit="$2" pid="$3" deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if curl -sk -o /dev/null --max-time 2 "$url"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited before $url answered"; return 1; }
    sleep 0.3
  done
  echo "$url did not answer within ${limit}s"
  return 1
}

# start_gatehouse NAME [--database URL]: a fresh dev tenant in $WORK/NAME.
start_gatehouse() {
  local name="$1"; shift
  GH_DATA="$WORK/$name"
  GH_LOG="$WORK/$name.log"
  if port_busy "$PORT"; then echo "port $PORT is already in use"; return 1; fi
  start_bg "$GH_LOG" "$WORK/gatehouse" dev --addr "127.0.0.1:$PORT" --data "$GH_DATA" "$@"
  GH_PID=$LAST_PID
  wait_http "https://127.0.0.1:$PORT/.well-known/openid-configuration" 60 "$GH_PID"
  [ -f "$GH_DATA/dev-tenant.json" ] || { echo "no $GH_DATA/dev-tenant.json"; return 1; }
  export GATEHOUSE_DEV_TENANT="$GH_DATA/dev-tenant.json"
  NODE_EXTRA_CA_CERTS="$(node -p 'require(process.argv[1]).ca_cert' "$GATEHOUSE_DEV_TENANT")"
  export NODE_EXTRA_CA_CERTS
}

stop_gatehouse() { [ -n "$GH_PID" ] && stop_pid "$GH_PID"; GH_PID=""; }

TEST_RUNS=0
# node --test applies --test-timeout to each file as a whole as well as to each test, so the limit is what a
# whole browser file may take on a loaded 2-core machine; each browser step has its own 20 s limit.
node_test() { # dir files...
  local dir="$1"; shift
  TEST_RUNS=$((TEST_RUNS + 1))
  (cd "$dir" && timeout 300 node --test --test-reporter=spec --test-concurrency=1 --test-timeout=180000 "$@") \
    2>&1 | tee "$WORK/tests-$TEST_RUNS.log"
}

# The node test runs' totals, as one "N passed, N failed" line.
totals() {
  local passed=0 failed=0 n
  for log in "$WORK"/tests-*.log; do
    [ -f "$log" ] || continue
    n=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -n 1); passed=$((passed + ${n:-0}))
    n=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -n 1); failed=$((failed + ${n:-0}))
  done
  printf 'compat: %s passed, %s failed\n' "$passed" "$failed"
}

# ---------------------------------------------------------------------------------------------------------

step "build gatehouse"
(cd "$ROOT" && go build -o "$WORK/gatehouse" ./cmd/gatehouse)
command -v node >/dev/null || { echo "node is required"; exit 1; }
echo "node $(node --version), npm $(npm --version)"

step "npm ci (mgmt: auth0 SDK)"
(cd "$HERE/mgmt" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

# The mgmt test files, three to a process (run-*.js import them in this order): loading auth0 v7 once
# per file would add about 3 s a file.
MGMT_RUNS=(run-guide.js run-connections.js run-more.js)
step "suite 1: Management API on SQLite"
start_gatehouse mgmt-sqlite
node_test "$HERE/mgmt" "${MGMT_RUNS[@]}"
stop_gatehouse

if [ "${GATEHOUSE_COMPAT_SKIP_POSTGRES:-}" != "1" ]; then
  step "suite 1: Management API on PostgreSQL"
  pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not reachable at 127.0.0.1:5432"; exit 1; }
  PG_SCHEMA="compat_$$_$RANDOM"
  psql -q "$PG_URL" -c "CREATE SCHEMA $PG_SCHEMA"
  case "$PG_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
  start_gatehouse mgmt-postgres --database "${PG_URL}${sep}search_path=${PG_SCHEMA}"
  node_test "$HERE/mgmt" "${MGMT_RUNS[@]}"
  stop_gatehouse
fi

step "npm ci (deploy: auth0-deploy-cli)"
(cd "$HERE/deploy" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

step "suite 1c: the Auth0 Deploy CLI exports and imports the tenant (SQLite)"
start_gatehouse deploy-sqlite
GATEHOUSE_BIN="$WORK/gatehouse" GATEHOUSE_DATA="$GH_DATA" node_test "$HERE/deploy" deploy.test.js deploy-yaml-export.test.js deploy-yaml-import.test.js
stop_gatehouse

step "npm ci (oidc: openid-client 6, express-oauth2-jwt-bearer)"
(cd "$HERE/oidc" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

step "suite 1b: openid-client 6 — private_key_jwt, PAR, DPoP, device flow (SQLite)"
start_gatehouse oidc-sqlite
node_test "$HERE/oidc" oidc.test.js dpop-api.test.js
stop_gatehouse

step "npm ci (api: express-oauth2-jwt-bearer; runner: playwright-core, openid-client)"
(cd "$HERE/api" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
(cd "$HERE" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

step "suite 2: start Gatehouse (SQLite) and the guide's Express API on :3001"
start_gatehouse guide-sqlite
for p in 3000 3001; do if port_busy $p; then echo "port $p is already in use"; exit 1; fi; done
ENV_LOCAL="$HERE/nextapp/.env.local"
# The guide's step-2 variables, from the dev tenant (AUTH0_ISSUER_BASE_URL without the trailing slash, as
# the guide writes it).
node - "$GATEHOUSE_DEV_TENANT" "$(openssl rand -base64 32)" >"$ENV_LOCAL" <<'EOF'
const t = require(process.argv[2]);
const q = (s) => `'${s}'`;
console.log([
  `AUTH0_SECRET=${q(process.argv[3])}`,
  `AUTH0_BASE_URL=${q('http://localhost:3000')}`,
  `AUTH0_ISSUER_BASE_URL=${q(t.issuer.replace(/\/$/, ''))}`,
  `AUTH0_CLIENT_ID=${q(t.web_app.client_id)}`,
  `AUTH0_CLIENT_SECRET=${q(t.web_app.client_secret)}`,
  `AUTH0_AUDIENCE=${q(t.api.identifier)}`,
].join('\n'));
EOF
(
  set -a; . "$ENV_LOCAL"; set +a
  cd "$HERE/api"
  start_bg "$WORK/express.log" node server.js
  echo "$LAST_PID" >"$WORK/express.pid"
)
PIDS+=("$(cat "$WORK/express.pid")")
wait_http "http://127.0.0.1:3001/api/public" 30 "$(cat "$WORK/express.pid")"

step "suite 2: the guide's Express API accepts Gatehouse tokens (api.test.js)"
node_test "$HERE/checks" api.test.js

if [ "${GATEHOUSE_COMPAT_BROWSER:-1}" != "0" ]; then
  step "suite 2: Chromium"
  CHROMIUM="${GATEHOUSE_TEST_CHROMIUM:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM" ]; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq chromium >/dev/null
    CHROMIUM=/usr/bin/chromium
  fi
  export GATEHOUSE_TEST_CHROMIUM="$CHROMIUM"
  "$CHROMIUM" --version

  step "npm ci (nextapp: next 14, @auth0/nextjs-auth0 v3)"
  (cd "$HERE/nextapp" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

  step "next build"
  (cd "$HERE/nextapp" && timeout 300 node node_modules/next/dist/bin/next build) >"$WORK/next-build.log" 2>&1 \
    || { tail -n 60 "$WORK/next-build.log"; exit 1; }
  tail -n 25 "$WORK/next-build.log"

  step "next start on :3000"
  (cd "$HERE/nextapp" && start_bg "$WORK/next-start.log" node node_modules/next/dist/bin/next start -p 3000 -H localhost \
    && echo "$LAST_PID" >"$WORK/next.pid")
  PIDS+=("$(cat "$WORK/next.pid")")
  wait_http "http://localhost:3000/" 60 "$(cat "$WORK/next.pid")"

  step "suite 2: the guide's Next.js app in Chromium (browser.test.js)"
  node_test "$HERE/checks" browser.test.js

  # gatehouse doctor and gatehouse verify against the guide's app as it runs here: the tenant through
  # its Management API with the app's .env.local, then the guide's "How to Verify It Worked" in Chromium,
  # with the API's access tokens made to expire in 5 s for the refresh check (restored afterwards).
  step "gatehouse doctor --domain … --env-file nextapp/.env.local"
  tenant() { node -p "const t = require(process.argv[1]); $1" "$GATEHOUSE_DEV_TENANT"; }
  CA="$(tenant 't.ca_cert')"
  GATEHOUSE_DOCTOR_CLIENT_SECRET="$(tenant 't.management_api.client_secret')" \
    "$WORK/gatehouse" doctor --domain "$(tenant 't.issuer')" --cacert "$CA" --env-file "$ENV_LOCAL" \
    --client-id "$(tenant 't.management_api.client_id')"
  api_lifetime() { # seconds: sets the guide's API's access token lifetime through the Management API
    node - "$GATEHOUSE_DEV_TENANT" "$1" <<'EOF'
const t = require(process.argv[2]);
(async () => {
  const tok = await (await fetch(t.issuer + 'oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: t.management_api.client_id,
      client_secret: t.management_api.client_secret, audience: t.management_api.audience }) })).json();
  const h = { authorization: 'Bearer ' + tok.access_token, 'content-type': 'application/json' };
  const list = await (await fetch(t.issuer + 'api/v2/resource-servers', { headers: h })).json();
  const api = list.find((rs) => rs.identifier === t.api.identifier);
  const r = await fetch(t.issuer + 'api/v2/resource-servers/' + api.id, { method: 'PATCH', headers: h,
    body: JSON.stringify({ token_lifetime: Number(process.argv[3]) }) });
  if (!r.ok) { console.error('PATCH resource server:', r.status, await r.text()); process.exit(1); }
})();
EOF
  }
  step "gatehouse verify --app http://localhost:3000 (the guide's How to Verify It Worked, in Chromium)"
  api_lifetime 5
  GATEHOUSE_VERIFY_PASSWORD="$(tenant 't.users.find((u) => !u.roles.includes("admin")).password')" \
  GATEHOUSE_VERIFY_ADMIN_PASSWORD="$(tenant 't.users.find((u) => u.roles.includes("admin")).password')" \
    "$WORK/gatehouse" verify --app http://localhost:3000 --api http://localhost:3001/api/private --wait 7s \
    --user "$(tenant 't.users.find((u) => !u.roles.includes("admin")).email')" \
    --admin-user "$(tenant 't.users.find((u) => u.roles.includes("admin")).email')" \
    --cacert "$CA" --browser "$CHROMIUM" --screenshots "$WORK"
  api_lifetime 86400
  step "suite 2: organizations through nextjs-auth0 v3 and express-oauth2-jwt-bearer (checks/organizations.test.js, :3210)"
  if port_busy 3210; then echo "port 3210 is already in use"; exit 1; fi
  node_test "$HERE/checks" organizations.test.js

  step "suite 2: nextjs-auth0 with authorizationParams.connection to a provider on :3241 (connection.test.js)"
  if port_busy 3241; then echo "port 3241 is already in use"; exit 1; fi
  node_test "$HERE/checks" connection.test.js

  step "suite 2: a post-login Action asks for MFA; the admin signs in with password + TOTP (checks/mfa.test.js)"
  node_test "$HERE/checks" mfa.test.js

  # Auth0's other SDKs, unchanged, against the same Gatehouse; each registers its own application
  # through the Management API and serves its pages on 3100-3199.
  export GATEHOUSE_COMPAT_SHOTS="$WORK/screenshots"
  mkdir -p "$GATEHOUSE_COMPAT_SHOTS"
  step "npm ci (sdk: auth0-spa-js, auth0-react, esbuild, express-openid-connect)"
  (cd "$HERE/sdk" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

  step "suite 3: auth0-spa-js in Chromium (sdk/spa.test.js, :3100 and :3101)"
  for p in 3100 3101; do if port_busy $p; then echo "port $p is already in use"; exit 1; fi; done
  node_test "$HERE/sdk" spa.test.js

  step "suite 3: auth0-spa-js with useDpop in Chromium, calling an express-oauth2-jwt-bearer API (sdk/spa-dpop.test.js, :3240)"
  if port_busy 3240; then echo "port 3240 is already in use"; exit 1; fi
  node_test "$HERE/sdk" spa-dpop.test.js

  step "suite 3: auth0-react, bundled with esbuild, calling the guide's Express API (sdk/react.test.js, :3102)"
  if port_busy 3102; then echo "port 3102 is already in use"; exit 1; fi
  node_test "$HERE/sdk" react.test.js

  step "suite 4: express-openid-connect, defaults and response_type code (sdk/express-oidc.test.js, :3103-:3105)"
  for p in 3103 3104 3105; do if port_busy $p; then echo "port $p is already in use"; exit 1; fi; done
  node_test "$HERE/sdk" express-oidc.test.js

  step "npm ci (nextapp4: next 14, @auth0/nextjs-auth0 v4)"
  (cd "$HERE/nextapp4" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

  step "next build (nextapp4)"
  (cd "$HERE/nextapp4" && timeout 300 node node_modules/next/dist/bin/next build) >"$WORK/next4-build.log" 2>&1 \
    || { tail -n 60 "$WORK/next4-build.log"; exit 1; }
  tail -n 16 "$WORK/next4-build.log"

  step "suite 5: nextjs-auth0 v4 in Chromium (sdk/nextjs4.test.js starts nextapp4 on :3110)"
  if port_busy 3110 || port_busy 3230; then echo "port 3110 or 3230 is already in use"; exit 1; fi
  node_test "$HERE/sdk" nextjs4.test.js
else
  step "suite 2: Next.js app and browser checks skipped (GATEHOUSE_COMPAT_BROWSER=0)"
fi
