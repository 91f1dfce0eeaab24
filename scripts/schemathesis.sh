#!/usr/bin/env bash
# Property-based API testing with schemathesis against the served OpenAPI document, all checks.
#
#   scripts/schemathesis.sh                 # start the product on its own ports, test every operation
#   ATLAS_URL=http://127.0.0.1:8080 ATLAS_TOKEN=… scripts/schemathesis.sh   # test a running instance
#   SCHEMATHESIS_TAGS='flows|vendors' SCHEMATHESIS_EXAMPLES=50 scripts/schemathesis.sh
#
# schemathesis comes from PyPI into a venv under .atlas/ (Python 3.11+). When the script starts the
# product itself it uses its own ports and data folder (never a colleague's or `npm start`'s),
# creates an admin API token with the operator CLI and stops everything it started at the end.
# Reports (JUnit XML, and the console log) go to .atlas/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.atlas/schemathesis-venv
OUT=.atlas/schemathesis
PORT=${SCHEMATHESIS_ATLAS_PORT:-28790}
BOLT=${SCHEMATHESIS_NEO4J_PORT:-27791}
REDIS=${SCHEMATHESIS_REDIS_PORT:-27792}
DATA=.atlas/schemathesis-data
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "[schemathesis] installing schemathesis into $VENV …"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r scripts/schemathesis-requirements.txt
fi

STARTED_PID=""
cleanup() {
  if [ -n "$STARTED_PID" ]; then
    echo "[schemathesis] stopping the instance it started (pid $STARTED_PID)…"
    kill -TERM "$STARTED_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$STARTED_PID" 2>/dev/null || break; sleep 1; done
  fi
}
trap cleanup EXIT

if [ -z "${ATLAS_URL:-}" ]; then
  ATLAS_URL="http://127.0.0.1:$PORT"
  echo "[schemathesis] starting ePHI Atlas on $ATLAS_URL (data in $DATA)…"
  ATLAS_PORT=$PORT NEO4J_BOLT_PORT=$BOLT REDIS_PORT=$REDIS ATLAS_DATA_DIR=$DATA ATLAS_LOG_LEVEL=warn \
    setsid node --import tsx services/platform/src/start.ts >"$OUT/atlas.log" 2>&1 &
  STARTED_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "$ATLAS_URL/api/v1/health" >/dev/null 2>&1 && break
    kill -0 "$STARTED_PID" 2>/dev/null || { echo "[schemathesis] the product did not start:"; tail -20 "$OUT/atlas.log"; exit 1; }
    sleep 1
  done
  ATLAS_TOKEN=$(NEO4J_BOLT_PORT=$BOLT REDIS_PORT=$REDIS ATLAS_DATA_DIR=$DATA node --import tsx services/cli/src/atlas.ts \
    token create --role admin --name schemathesis --expires-days 1 2>/dev/null | tail -1)
fi
: "${ATLAS_TOKEN:?set ATLAS_TOKEN (an admin API token) when ATLAS_URL is given}"

FILTER=()
if [ -n "${SCHEMATHESIS_TAGS:-}" ]; then FILTER=(--include-tag-regex "^(${SCHEMATHESIS_TAGS})$"); fi
# Sign-in, sign-out, password and MFA changes would end or replace the run's own session; the
# writes of token and user administration (revoke, disable, reset) are turned off in
# scripts/schemathesis.toml. Their reads (GET /auth/me, /tokens, /users) are tested.
EXCLUDE=(--exclude-path-regex "${SCHEMATHESIS_EXCLUDE:-^/api/v1/auth/(login|logout|password|mfa/)}")

echo "[schemathesis] testing $ATLAS_URL/api/v1/openapi.json with all checks…"
set +e
"$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run "$ATLAS_URL/api/v1/openapi.json" \
  --url "$ATLAS_URL" \
  -H "Authorization: Bearer $ATLAS_TOKEN" \
  --checks all \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
  --workers "${SCHEMATHESIS_WORKERS:-2}" \
  --seed "${SCHEMATHESIS_SEED:-20261204}" \
  --no-color \
  --generation-database "$OUT/examples-db" \
  "${FILTER[@]}" "${EXCLUDE[@]}" \
  --report junit --report-dir "$OUT" 2>&1 | tee "$OUT/last-run.log"
STATUS=${PIPESTATUS[0]}
set -e
echo "[schemathesis] server errors (5xx) seen: $(grep -c '^- ST101' "$OUT/last-run.log" || true);" \
  "response schema violations: $(grep -c '^- ST102\|Response violates schema' "$OUT/last-run.log" || true)"
exit "$STATUS"
