/**
 * A count and its noun, with the `s` when the count is not one: the one way every message of
 * pgtestbed counts things (words with another plural are written out where they are used).
 *
 * @example
 * plural(1, 'error') // '1 error'
 * plural(3, 'kept database') // '3 kept databases'
 */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}
