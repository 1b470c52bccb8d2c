import { defineConfig } from 'tsup'

// The library ships as ESM and CommonJS: Jest loads test environments and anything a test file
// imports through require(), while Vitest and modern Node prefer ESM. The CLI is ESM only.
// `worker` is the small entry test files load (`@pgtestbed/core/worker`): in ESM it shares chunks
// with `index`; in CJS it is a bundle of its own.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', worker: 'src/worker.ts', runner: 'src/runner.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
    outDir: 'dist',
  },
  {
    entry: { 'cli/bin': 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    shims: true,
    target: 'node20',
    outDir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
])
