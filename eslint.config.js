import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node APIs, no I/O, no clocks.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'child_process', 'crypto'],
              message: 'workflows must stay deterministic: do I/O in an activity',
            },
            {
              group: ['@aws-sdk/*', '@kubernetes/*', 'pino', 'fastify'],
              message: 'workflows must not touch external systems: use an activity',
            },
            {
              // types.js holds only types (per-system activity interfaces).
              group: ['**/activities/*', '!**/activities/failures.js', '!**/activities/types.js'],
              importNamePattern: '^(?!Activities$)',
              message: 'import activities as types only',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'fetch', message: 'do I/O in an activity' },
      ],
    },
  },
);
