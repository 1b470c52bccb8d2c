import { defineConfig } from 'tsup'

// ESM only: `--import` and `--test-global-setup` load the entries as ES modules.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'global-setup': 'src/global-setup.ts' },
    format: ['esm'],
    dts: { compilerOptions: { preserveSymlinks: false } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    // `node:test` exists only with its prefix, which tsup strips by default.
    removeNodeProtocol: false,
    outDir: 'dist',
  },
])
