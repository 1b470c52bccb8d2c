/**
 * `error` and the errors it wraps (its `cause`, then theirs…), outermost first, at most 8: a
 * pgtestbed error (APPLY_FAILED) often wraps the driver's or the server's.
 *
 * @example
 * errorChain(applyFailed).some((e) => (e as { code?: unknown }).code === '53100')
 */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = []
  for (
    let e = error;
    e instanceof Error && chain.length < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    chain.push(e)
  }
  return chain
}
