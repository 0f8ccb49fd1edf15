// ESLint for the whole repository: typescript-eslint's type-aware recommended rules, the
// boundary between the library and the demo, and Prettier's formatting left to Prettier.
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'test-output/',
      'bench/results/',
      'test/consumer/',
      'test/consumer-cjs/',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Stores and test doubles implement a promise interface with methods that need no await.
      '@typescript-eslint/require-await': 'off',
      // Taking a method off its object is how the response's end is held back (called with apply).
      '@typescript-eslint/unbound-method': 'off',
      // Failures are passed on as the store or the driver raised them, whatever they are.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Response bodies and query results are `any` by their libraries' design; tests read them.
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['src/blog/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/session/*', '!**/session/index.js'],
              message: 'The demo uses the library through its public entry point, ../session/index.js.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/session/**/*.ts'],
    ignores: ['src/session/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/blog/**', '**/config/**', '**/database/**', '**/app.*', '**/commands/**'],
              message: 'The library imports nothing of the app around it.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
