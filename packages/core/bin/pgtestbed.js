#!/usr/bin/env node
// The `pgtestbed` command. This file is committed, not built, so package managers can link it at
// install time, before a workspace has built dist/ (pnpm skips a bin whose file is missing).
import '../dist/cli/bin.js'
