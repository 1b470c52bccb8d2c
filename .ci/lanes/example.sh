#!/usr/bin/env bash
# The README's "see it work" command: one example project end to end on the embedded server.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx pnpm example
