#!/usr/bin/env bash
# The migrate job, for real: builds the image from the repository's Dockerfile (on a Node base
# made locally, no registry) and runs the compose file of the core README's "Migrations in
# containers" as written, with only the images swapped for local ones:
#   1. db → migrate (`up --wait`, the database has no healthcheck) → app, which starts only after
#      migrate completed (app = the README's migrations image running `status --check`: exit 0
#      only if every migration was applied when it started);
#   2. a broken migration: `docker-compose up` fails, the migrate log shows the file, the line and
#      the statement, app never starts;
#   3. three migrate containers at once on a fresh database: all exit 0, each version once.
# Needs a Docker engine and DOCKER_POSTGRES_IMAGE (run by .ci/lanes/docker.sh after
# docker-postgres.sh). Installs Debian's docker-compose when missing. Writes
# packages/core/test-results/docker-migrate-job.json; exits 1 when a check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS
passed=0
failed=0
check() { # check <description> <command…>: runs the command, counts and prints the result
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "  ok   $what"
  else
    failed=$((failed + 1))
    echo "  FAIL $what"
  fi
}
report() {
  mkdir -p packages/core/test-results
  printf '{ "numPassedTests": %d, "numFailedTests": %d }\n' "$passed" "$failed" \
    >packages/core/test-results/docker-migrate-job.json
  echo "migrate job: $passed passed, $failed failed in $((SECONDS - started)) s"
}
fatal() {
  echo "migrate job: $*" >&2
  failed=$((failed + 1))
  report
  exit 1
}

: "${DOCKER_POSTGRES_IMAGE:?run by .ci/lanes/docker.sh, which provisions the engine and image}"
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "migrate job: installing docker-compose (apt-get)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 ||
    fatal "docker-compose is missing and could not be installed"
fi

version=$(node -p "require('./packages/core/package.json').version")
image="pgtestbed:$version"
node_image=$(.ci/docker/node-image.sh) || fatal "could not make a local Node base image"
if [ ! -f packages/core/dist/cli/bin.js ]; then
  npx pnpm --filter @pgtestbed/core build >/dev/null || fatal "could not build @pgtestbed/core"
fi
# The classic builder: Debian's engine has no buildx plugin; the Dockerfile needs nothing newer.
DOCKER_BUILDKIT=0 docker build -q -t "$image" --build-arg "NODE_IMAGE=$node_image" . >/dev/null ||
  fatal "docker build failed"
echo "migrate job: built $image on $node_image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}'))"

work=$(mktemp -d "${TMPDIR:-/tmp}/pgtestbed-migrate-job.XXXXXX")
project="pgtestbed-migrate-job-$$"
compose() { docker-compose -p "$project" -f "$work/compose.yaml" -f "$work/lane.yaml" "$@"; }
cleanup() {
  compose down -v --remove-orphans >/dev/null 2>&1
  docker ps -aq --filter "label=pgtestbed-migrate-job=$project" | xargs -r docker rm -f >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The README's blocks, as written: the compose file and the Dockerfile of the migrations image.
snippet() { # snippet <language>: the first block of that language after a docker-lane marker
  awk -v fence="\`\`\`$1" '
    /<!-- snippet: docker-lane -->/ { marked = 1; next }
    marked && !body && /^```/ { if ($0 == fence) { body = 1; next } else marked = 0 }
    body && /^```$/ { exit }
    body { print }
  ' packages/core/README.md
}
snippet yaml >"$work/compose.yaml"
snippet dockerfile >"$work/Dockerfile"
grep -q "image: $image" "$work/compose.yaml" || fatal "the README's compose file does not use $image"
grep -q "^FROM $image" "$work/Dockerfile" || fatal "the README's Dockerfile is not FROM $image"
# The app: the README's migrations image, whose command exits 0 only if the schema is current.
echo 'CMD ["status", "--check"]' >>"$work/Dockerfile"
url=$(awk '/PGTESTBED_URL:/ { print $2; exit }' "$work/compose.yaml")
cat >"$work/lane.yaml" <<EOF
services:
  db:
    image: $DOCKER_POSTGRES_IMAGE
  app:
    environment:
      PGTESTBED_URL: $url
EOF
mkdir "$work/migrations"
cp packages/core/test/fixtures/cli/goose-clean/migrations/*.sql "$work/migrations/"

container() { compose ps -q "$1" 2>/dev/null | head -1; }
state() { docker inspect -f "{{.State.$2}}" "$(container "$1")"; }
app_never_started() { [ -z "$(container app)" ] || [[ "$(state app StartedAt)" == 0001-01-01* ]]; }

echo "migrate job 1: db → migrate → app"
compose up -d --build >"$work/up.log" 2>&1
check "docker-compose up exits 0" test $? = 0
app=$(container app)
check "app ran and exited 0 (status --check: every migration applied)" \
  test "$(docker wait "$app" 2>/dev/null)" = 0
check "app started after migrate finished" \
  test "$(state app StartedAt)" \> "$(state migrate FinishedAt)"
compose logs --no-color migrate >"$work/migrate.log" 2>&1
check "migrate waited for the database (no healthcheck)" \
  grep -q "pgtestbed: waiting up to 60 s for PostgreSQL at postgres@db:5432" "$work/migrate.log"
check "then applied 3 migrations" grep -q "pgtestbed: applied 3 migrations to " "$work/migrate.log"
compose down -v >/dev/null 2>&1

echo "migrate job 2: a broken migration"
printf -- '-- +goose Up\nCREATE TABLE broken (id int);\nINSERT INTO broken SELECT id FROM nowhere;\n\n-- +goose Down\nDROP TABLE broken;\n' \
  >"$work/migrations/00004_broken.sql"
compose up -d >"$work/up.log" 2>&1
check "docker-compose up fails" test $? != 0
check "migrate exited 1" test "$(state migrate ExitCode)" = 1
compose logs --no-color migrate >"$work/migrate.log" 2>&1
check "the migrate log names the file and line" grep -q "00004_broken.sql:3" "$work/migrate.log"
check "the migrate log shows the statement" \
  grep -q "INSERT INTO broken SELECT id FROM nowhere" "$work/migrate.log"
check "app never started" app_never_started
sed 's/^/    | /' "$work/migrate.log" | grep -v '^    | Attaching' | tail -20
compose down -v >/dev/null 2>&1
rm "$work/migrations/00004_broken.sql"

echo "migrate job 3: three migrate containers at once"
compose up -d db >/dev/null 2>&1
network="${project}_default"
ids=()
for i in 1 2 3; do
  ids+=("$(docker run -d --label "pgtestbed-migrate-job=$project" --network "$network" \
    -v "$work/migrations:/migrations:ro" -e "PGTESTBED_URL=$url" "$image" up --wait 60s)")
done
codes=""
for id in "${ids[@]}"; do codes+="$(docker wait "$id") "; done
check "all three exit 0 ($codes)" test "$codes" = "0 0 0 "
logs=$(for id in "${ids[@]}"; do docker logs "$id" 2>&1; done)
check "exactly one applied the migrations" test "$(grep -c 'pgtestbed: applied 3 migrations' <<<"$logs")" = 1
rows=$(compose exec -T db psql -U postgres -tAc \
  "SELECT string_agg(version_id || ':' || n, ' ' ORDER BY version_id) FROM (SELECT version_id, count(*) AS n FROM goose_db_version GROUP BY 1) v")
check "each version recorded once ($rows)" test "$rows" = "0:1 1:1 2:1 3:1"

report
[ "$failed" = 0 ]
