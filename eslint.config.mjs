import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NO_VSCODE = { name: 'vscode', message: 'This module must run without VS Code.' };
const NO_LLAMA = { name: 'node-llama-cpp', message: 'Only src/model/worker.ts may import node-llama-cpp (it runs in its own process).' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.host/**', 'media/katex/**', 'test-results/**', '.gpucheck/**', '.device/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // House rules: the VS Code-free core never imports vscode; only the model worker imports node-llama-cpp.
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_LLAMA] }] },
  },
  {
    files: ['src/prover/**/*.ts', 'src/documents/**/*.ts', 'src/render/**/*.ts', 'src/model/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_VSCODE, NO_LLAMA] }] },
  },
  {
    files: ['src/model/worker.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_VSCODE] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
