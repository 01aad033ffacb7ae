// ESLint (flat config): JavaScript's recommended rules and typescript-eslint's, for the code of
// every part of the project. Formatting is prettier's (.prettierrc.json), not ESLint's.

import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'test/fixtures/hosts/'] }, js.configs.recommended, ...tseslint.configs.recommended, {
  languageOptions: {
    ecmaVersion: 2022,
    sourceType: 'module',
    globals: globals.node,
  },
  rules: {
    // A `let` a closure reads before its one assignment (declared first so the closure can see it) stays a `let`.
    'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    // `_name` marks a parameter kept for its position.
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
  },
});
