// ESLint for the whole repository (flat config); each package's `lint`
// target runs it on that package. Rules stay modest: correctness and the
// house rules that a machine can check (layers, koffi only in native/).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import tvisor from './tools/lint/src/module-boundaries.js';
import { depConstraints, fallbackTags, hostZones } from './tools/lint/src/layers.js';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/coverage/**', 'packages/abi/src/generated/**', 'packages/runsc/src/oci/generated/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { tvisor },
    rules: {
      'tvisor/module-boundaries': ['error', { depConstraints, fallbackTags, hostZones }],
      // koffi (FFI) lives only in a package's native/ folder (house rule).
      'no-restricted-imports': ['error', { paths: [{ name: 'koffi', message: "koffi calls live only in a package's src/native/ (house rule)." }] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests build and edit free-form JSON (OCI specs, fixtures): `any` is the honest type there.
    files: ['**/test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/native/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
