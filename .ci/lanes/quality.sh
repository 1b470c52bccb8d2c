#!/usr/bin/env bash
# The quality lane: `pnpm check:quality` (root package.json), the same command a developer runs.
# Run by .ci/run from the repository root, after the tests; any finding fails CI. It runs:
# - prettier --check over code and config (.prettierignore leaves out markdown, SQL and fixtures);
# - pnpm run lint: Biome's recommended lint rules (biome.jsonc) over the TS/JS sources;
# - turbo run build typecheck: every package's `tsc --noEmit`, tests and TS fixtures included;
# - knip (knip.json): unused files, exports and dependencies across the workspace;
# - check:packages: attw --pack on each published package's tarball. The exceptions, each narrow:
#   - @pgtestbed/core/worker is checked for node16 and bundler resolution only: node10
#     (`moduleResolution: node`) cannot resolve a subpath export, and only the plugins import it,
#     through their bundler. The root entry is checked in every mode, node10 included.
#   - @pgtestbed/vitest uses the esm-only profile: the plugin is ESM only, as Vitest is.
#   - @pgtestbed/node-test uses the esm-only profile: `--import` and `--test-global-setup` load ESM.
#   - @pgtestbed/jest leaves out ./jest-preset(.js), ./global-setup, ./global-teardown and
#     ./environment: Jest loads those files by name from a config, no code imports them, so they
#     carry no types. The root entry (`preset`, option types) is checked in every mode.
set -uo pipefail
cd "$(dirname "$0")/../.."
npx pnpm run check:quality
