#!/usr/bin/env bash
# The workspace example's own check: turbo runs its Vitest and Jest packages in parallel against one
# embedded server; the check asserts one template build, no name collisions and nothing left behind.
set -uo pipefail
cd "$(dirname "$0")/../.."
npx pnpm --filter @pgtestbed-example/workspace test:workspace
