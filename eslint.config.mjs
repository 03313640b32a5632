// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O, no activity code. */
const workflowRestrictedImports = {
  paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]
    .filter((m) => m !== 'assert')
    .map((name) => ({ name, message: 'Workflow code is deterministic: no Node builtins (only assert is allowed).' })),
  patterns: [
    {
      group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing', '@temporalio/core-bridge'],
      message: 'Workflow code may import only @temporalio/workflow (and pure code from src/domain).',
    },
    {
      group: ['../src/*', '!../src/domain', '!../src/domain/*', 'fastify', 'pino', 'yaml', '@smithy/*', '@aws-sdk/*', '@aws-crypto/*'],
      message: 'Workflow code may import only pure modules from src/domain.',
    },
    {
      group: ['../activities', '../activities/*'],
      allowTypeImports: true,
      message: 'Import activities with `import type` only.',
    },
  ],
};

/**
 * workflows/legacy/ is the frozen loop v1–v4 cases replay with: it may import only @temporalio/workflow,
 * pure src/domain and its own files (activities by `import type`), so no change to the live loop can
 * change what those cases do.
 */
const legacyRestrictedImports = {
  paths: workflowRestrictedImports.paths,
  patterns: [
    {
      regex: '^(?!@temporalio/workflow$|\\./[^.]|\\.\\./\\.\\./src/domain/[^.]+$|\\.\\./\\.\\./activities$)',
      message: 'workflows/legacy is frozen: it imports only @temporalio/workflow, src/domain and legacy files (give it a frozen copy of what it needs).',
    },
    { regex: '^\\.\\./\\.\\./activities$', allowTypeImports: true, message: 'Import activities with `import type` only.' },
  ],
};

/** @param {string} outside the relative import that leaves src/domain from the files it applies to */
function domainRestrictedImports(outside) {
  return {
    ...workflowRestrictedImports,
    patterns: [
      ...workflowRestrictedImports.patterns.filter((p) => !p.group.includes('yaml')),
      // yaml is pure (no I/O); the playbook parser needs it, workflows never import that module.
      { group: ['fastify', 'pino', '@smithy/*', '@aws-sdk/*', '@aws-crypto/*'], message: 'src/domain is pure: no I/O libraries.' },
      { group: [outside], message: 'src/domain imports nothing of the project outside src/domain.' },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.phasegate/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself tracks.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': ['error', workflowRestrictedImports] },
  },
  {
    files: ['workflows/legacy/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', legacyRestrictedImports] },
  },
  // src/domain is shared with workflows, so it obeys the same rules; its subject folders (alert/, case/,
  // contract/, playbook/, sir-api/) import each other, never anything outside src/domain.
  { files: ['src/domain/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', domainRestrictedImports('../*')] } },
  { files: ['src/domain/*/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', domainRestrictedImports('../../*')] } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-unsafe-member-access': 'off', '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
);
