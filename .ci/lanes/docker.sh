#!/usr/bin/env bash
# The Docker lane: provisions a Docker engine and a PostgreSQL image with the shared
# docker-postgres.sh tool, then runs the docker provider's integration tests against it, then
# the migrate job for real (.ci/docker/migrate-job.sh: the image from the repository's Dockerfile
# in the README's compose file). Run by .ci/run from the repository root, after the main tests.
# Writes packages/core/test-results/docker.json (Vitest's json reporter) and
# docker-migrate-job.json (the same fields) for the CI summary.
# A machine that cannot run Docker skips the lane with one loud line and exit 0.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

tool=""
for candidate in "$root/../shared/tools/docker-postgres.sh" /work/shared/tools/docker-postgres.sh; do
  if [ -x "$candidate" ]; then tool=$candidate; break; fi
done
if [ -z "$tool" ]; then
  echo "SKIPPED docker lane: docker-postgres.sh not found (looked in ../shared/tools and /work/shared/tools)"
  exit 0
fi

# The tool starts dockerd when no engine answers; the lane stops what it started, by pid.
engine_before=$(timeout 5 docker info >/dev/null 2>&1 && echo up || echo down)
dockerd_before=$(pgrep -x dockerd || true)
stop_started_engine() {
  [ "$engine_before" = down ] || return 0
  for pid in $(pgrep -x dockerd || true); do
    if ! grep -qx "$pid" <<<"$dockerd_before"; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
  done
}
trap stop_started_engine EXIT

env_lines=$("$tool" --env)
code=$?
if [ "$code" = 3 ]; then
  echo "SKIPPED docker lane: $tool could not provision a Docker engine or image on this machine (exit 3)"
  exit 0
fi
if [ "$code" != 0 ]; then
  echo "docker lane: $tool failed with exit code $code" >&2
  exit 1
fi
eval "$env_lines"
export PGTESTBED_DOCKER_TESTS=1

status=0
(
  cd packages/core
  mkdir -p test-results
  npx vitest run test/integration/server-docker.test.ts test/integration/testbed-docker.test.ts \
    --reporter=default --reporter=json --outputFile.json=test-results/docker.json
) || status=1
bash .ci/docker/migrate-job.sh || status=1
exit "$status"
