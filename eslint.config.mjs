import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// The dependency direction of docs/architecture.md ("Dependency rules"), as Nx tags.
// Every scope may import scope:errors (the coded-error base class), which imports nothing;
// the integration's own scopes also import scope:input (valibot schemas, the one way to read
// untrusted input). lorawan and keywrap, reused by other projects, take neither valibot nor it.
const depConstraints = [
  { sourceTag: 'scope:errors', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:input', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:lorawan', onlyDependOnLibsWithTags: ['scope:errors'] },
  { sourceTag: 'scope:keywrap', onlyDependOnLibsWithTags: ['scope:errors'] },
  { sourceTag: 'scope:lambda-kit', onlyDependOnLibsWithTags: ['scope:errors', 'scope:input'] },
  { sourceTag: 'scope:formatters', onlyDependOnLibsWithTags: ['scope:errors'] },
  {
    sourceTag: 'scope:tts',
    onlyDependOnLibsWithTags: ['scope:errors', 'scope:input', 'scope:keywrap'],
  },
  {
    sourceTag: 'scope:integration',
    onlyDependOnLibsWithTags: [
      'scope:errors',
      'scope:input',
      'scope:lorawan',
      'scope:keywrap',
      'scope:tts',
      'scope:formatters',
    ],
  },
  {
    sourceTag: 'scope:aws',
    onlyDependOnLibsWithTags: [
      'scope:errors',
      'scope:input',
      'scope:integration',
      'scope:tts',
      'scope:keywrap',
    ],
  },
  { sourceTag: 'type:lambda', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: ['type:lib', 'type:lambda', 'type:test', 'type:tool'],
  },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:test', 'type:tool'] },
];

// Tests of any project may also use the test helpers (tools/test-kit, tools/tts-sim).
const testDepConstraints = depConstraints.map((constraint) => ({
  ...constraint,
  onlyDependOnLibsWithTags: [...new Set([...constraint.onlyDependOnLibsWithTags, 'type:test'])],
}));

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/.nx/**',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@tts-aws-iot/integration/testing',
              message: 'The in-memory doubles are for tests and benches only.',
            },
          ],
        },
      ],
      // Functions read as named steps (issue 11): none over 60 lines of code; a long table is
      // data, not a function, and does not count.
      'max-lines-per-function': [
        'error',
        { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'Export names explicitly; no `export *` barrels.',
        },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports; no default exports.' },
      ],
    },
  },
  {
    files: ['**/tests/**/*.ts', '**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      'max-lines-per-function': 'off',
      'no-restricted-imports': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints: testDepConstraints },
      ],
    },
  },
  prettier,
);
