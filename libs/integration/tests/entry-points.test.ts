import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

// The library's surface: the main index stays within MAIN_INDEX_BOUND names, and every
// entry point exports only names that some project outside this library imports from it.
const MAIN_INDEX_BOUND = 40;
const repoRoot = join(__dirname, '..', '..', '..');
const library = join(__dirname, '..');
const entryPoints: Record<string, string> = {
  '@tts-aws-iot/integration': 'src/index.ts',
  '@tts-aws-iot/integration/registry': 'src/registry/index.ts',
  '@tts-aws-iot/integration/testing': 'src/testing/index.ts',
  '@tts-aws-iot/integration/traffic': 'src/traffic/index.ts',
};

function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.exportClause) continue;
    if (!ts.isNamedExports(statement.exportClause)) continue;
    names.push(...statement.exportClause.elements.map((element) => element.name.text));
  }
  return names;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', 'dist', 'coverage', '.nx'].includes(entry.name)
        ? []
        : sourceFiles(path);
    }
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The names each entry point is imported with, by every project but this library. */
function importedNames(): Map<string, Set<string>> {
  const used = new Map(Object.keys(entryPoints).map((entry) => [entry, new Set<string>()]));
  const folders = ['packages', 'libs', 'tools', 'bench', 'infra'].map((f) => join(repoRoot, f));
  const files = folders.flatMap(sourceFiles).filter((f) => !relative(library, f).match(/^[^.]/));
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier))
        continue;
      const names = used.get(statement.moduleSpecifier.text);
      const bindings = statement.importClause?.namedBindings;
      if (!names || !bindings || !ts.isNamedImports(bindings)) continue;
      for (const element of bindings.elements)
        names.add((element.propertyName ?? element.name).text);
    }
  }
  return used;
}

describe('entry points of libs/integration', () => {
  it(`keeps the main index within ${MAIN_INDEX_BOUND} names`, () => {
    const names = exportedNames(join(library, entryPoints['@tts-aws-iot/integration']!));
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(MAIN_INDEX_BOUND);
  });

  it('exports from each entry point exactly the names other projects import from it', () => {
    const used = importedNames();
    for (const [entry, file] of Object.entries(entryPoints)) {
      const exported = exportedNames(join(library, file)).sort();
      expect({ entry, exported }).toEqual({ entry, exported: [...used.get(entry)!].sort() });
    }
  });

  it('exports each name from one entry point only', () => {
    const all = Object.values(entryPoints).flatMap((file) => exportedNames(join(library, file)));
    expect(all.length).toBe(new Set(all).size);
  });
});
