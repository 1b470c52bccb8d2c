#!/usr/bin/env node
// `pgtestbed` for projects that installed only this plugin (pnpm links the commands of direct
// dependencies only, and error fixes say `pgtestbed manifest --write`): runs the CLI declared by
// the @pgtestbed/core this plugin depends on. Committed, not built, so package managers can link
// it at install time, before a workspace has built dist/.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const manifest = require.resolve('@pgtestbed/core/package.json')
// Core's CLI reads process.argv itself and sets the exit code.
await import(new URL(require(manifest).bin.pgtestbed, pathToFileURL(manifest)).href)
