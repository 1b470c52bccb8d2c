import path from 'node:path'
import ts from 'typescript'
import { REPO, readRepoFile } from './markdown.js'

/**
 * The workspace packages' public entries, mapped to their sources: README snippets are checked
 * against the code as it is now, without a build.
 */
const ENTRIES: Record<string, string> = {
  '@pgtestbed/core': 'packages/core/src/index.ts',
  '@pgtestbed/core/worker': 'packages/core/src/worker.ts',
  '@pgtestbed/vitest': 'packages/vitest/src/index.ts',
  '@pgtestbed/vitest/test': 'packages/vitest/src/test.ts',
  '@pgtestbed/jest': 'packages/jest/src/index.ts',
}

/** A TypeScript program over virtual files (absolute path → text) and the real sources. */
export interface DocsProgram {
  program: ts.Program
  checker: ts.TypeChecker
  /** The syntax and type errors of one file, as text. */
  errorsOf(file: string): string[]
}

/**
 * Builds one program with the repository's compiler options (strict, NodeNext) in which
 * `@pgtestbed/*` resolve to the packages' sources. Virtual files resolve other imports from where
 * they pretend to live, so put them in the folder whose `node_modules` they need.
 */
export function createDocsProgram(
  virtualFiles: ReadonlyMap<string, string>,
  realFiles: readonly string[] = [],
): DocsProgram {
  const base = ts.parseConfigFileTextToJson(
    'tsconfig.base.json',
    readRepoFile('tsconfig.base.json'),
  )
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, REPO)
  options.noEmit = true
  options.paths = Object.fromEntries(
    Object.entries(ENTRIES).map(([name, file]) => [name, [path.join(REPO, file)]]),
  )
  const host = ts.createCompilerHost(options)
  const virtual = (name: string) => virtualFiles.get(path.resolve(name))
  const { getSourceFile, fileExists, readFile } = host
  host.getSourceFile = (name, language, ...rest) => {
    const text = virtual(name)
    return text === undefined
      ? getSourceFile.call(host, name, language, ...rest)
      : ts.createSourceFile(name, text, language)
  }
  host.fileExists = (name) => virtual(name) !== undefined || fileExists.call(host, name)
  host.readFile = (name) => virtual(name) ?? readFile.call(host, name)
  const roots = [...virtualFiles.keys(), ...realFiles.map((file) => path.join(REPO, file))]
  const program = ts.createProgram(roots, options, host)
  return {
    program,
    checker: program.getTypeChecker(),
    errorsOf(file) {
      const source = program.getSourceFile(file)
      if (!source) return [`${file} is not in the program`]
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
        .filter((d) => d.category === ts.DiagnosticCategory.Error)
        .map((d) => {
          const where =
            d.start === undefined
              ? ''
              : `line ${source.getLineAndCharacterOfPosition(d.start).line + 1}: `
          return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
        })
    },
  }
}

/** One property of an options type and the default its JSDoc states. */
export interface OptionDoc {
  name: string
  /** The text after the last `Default:` of its JSDoc, up to the end of that sentence. */
  defaultText: string | undefined
}

/** The properties of the exported type or interface `typeName` of `file` (repository-relative). */
export function optionsOf(docs: DocsProgram, file: string, typeName: string): OptionDoc[] {
  const source = docs.program.getSourceFile(path.join(REPO, file))
  if (!source) throw new Error(`${file} is not in the program`)
  const module = docs.checker.getSymbolAtLocation(source)
  const symbol = module && docs.checker.getExportsOfModule(module).find((s) => s.name === typeName)
  if (!symbol) throw new Error(`${file} exports no ${typeName}`)
  const type = docs.checker.getDeclaredTypeOfSymbol(symbol)
  return docs.checker.getPropertiesOfType(type).map((property) => {
    const doc = ts.displayPartsToString(property.getDocumentationComment(docs.checker))
    const at = doc.lastIndexOf('Default:')
    const defaultText =
      at < 0 ? undefined : /^\s*([\s\S]*?)(?:\.\s|\.$|$)/.exec(doc.slice(at + 8))?.[1]
    return { name: property.name, defaultText: defaultText?.replace(/\s+/g, ' ').trim() }
  })
}

/** A string-literal member of a union type alias, and the comment lines right above it. */
export interface UnionMember {
  value: string
  comment: string
}

/**
 * The string-literal members of the union type alias `name` in `file` (repository-relative),
 * read with TypeScript's parser; template-literal members (`LINT_${string}`) are left out.
 */
export function unionMembers(file: string, name: string): UnionMember[] {
  const text = readRepoFile(file)
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const alias = source.statements.find(
    (s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name,
  )
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error(`${file} has no union ${name}`)
  const members = alias.type.types
  return members.flatMap((member, i) => {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) return []
    // The comment sits before the member's `|`, that is right after the previous member.
    const from = i === 0 ? alias.type.pos : members[i - 1]!.end
    const comment = (ts.getLeadingCommentRanges(text, from) ?? [])
      .map((range) => text.slice(range.pos, range.end))
      .join('\n')
    return [{ value: member.literal.text, comment }]
  })
}
