import { defineConfig } from 'tsup'

// Jest loads globalSetup, globalTeardown and the test environment with require() and never
// transforms files in node_modules, so everything ships as compiled CommonJS. Each entry is a
// file Jest points at; shared state lives on globalThis, so per-entry copies of helpers are fine.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    outDir: 'dist',
  },
  {
    entry: {
      'global-setup': 'src/global-setup.ts',
      'global-teardown': 'src/global-teardown.ts',
      environment: 'src/environment.ts',
    },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    outDir: 'dist',
  },
])
