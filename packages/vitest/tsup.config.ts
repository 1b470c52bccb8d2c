import { defineConfig } from 'tsup'

// ESM only: Vitest loads configs, globalSetup and setup files as ESM. `global-setup` and
// `setup-file` are not public entries; the plugin adds them to Vitest's config by absolute path.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      test: 'src/test.ts',
      'global-setup': 'src/global-setup.ts',
      'setup-file': 'src/setup-file.ts',
    },
    format: ['esm'],
    dts: {
      entry: { index: 'src/index.ts', test: 'src/test.ts' },
      // pnpm links packages: resolve types through the links, like Node does.
      compilerOptions: { preserveSymlinks: false },
    },
    sourcemap: true,
    clean: true,
    target: 'node20',
    outDir: 'dist',
  },
])
