import { createLintHook } from '../lint/hook.js'
import { createConsoleReporter } from '../progress.js'
import type { TestbedOptions } from '../testbed/types.js'
import type { CliSettings } from './settings.js'

/**
 * The options of the test run whose template a command works on (`diff`, `template export` and
 * `import`): the config file's, with the flags' migrations folder and format on top, so the
 * template is the one a test run builds or reuses. No sweep (these commands clean up nothing of
 * others) and no drift check (`diff` is that check). Without the config's template cache: the
 * template commands name their own folder.
 */
export function testRunOptions(settings: CliSettings): TestbedOptions {
  const {
    envVar: _envVar,
    keepOnFailure: _keep,
    lint: _lint,
    drift: _drift,
    sweep: _sweep,
    templateCache: _templateCache,
    ...config
  } = settings.config
  const lint = createLintHook(settings.lint === false ? false : settings.lint, {
    cacheDir: settings.lintCacheDir,
  })
  return {
    ...config,
    ...settings.migrations,
    manifest: settings.manifest,
    sweep: false,
    reporter: createConsoleReporter(),
    ...(lint ? { lint } : {}),
  }
}
