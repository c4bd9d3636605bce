import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
	{ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench/**']},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		// Hooks called in the same order on every render, and effects that name what they read.
		files: ['source/ui/**/*.tsx', 'source/ui/**/*.ts', 'test/ui/**/*.tsx'],
		plugins: {'react-hooks': reactHooks},
		rules: {
			'react-hooks/rules-of-hooks': 'error',
			'react-hooks/exhaustive-deps': 'warn',
		},
	},
	{
		files: ['**/*.ts', '**/*.tsx'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				tsconfigRootDir: import.meta.dirname,
			},
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: {attributes: false}}],
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
			'@typescript-eslint/no-explicit-any': 'off',
			'no-control-regex': 'off',
		},
	},
	{
		// The core is what the command line, the dashboard, the tests and the benchmarks all drive:
		// it knows nothing of the screen or of the command line (docs/CODEBASE.md).
		files: ['source/core/**/*.ts'],
		rules: {
			'no-restricted-imports': ['error', {patterns: [
				{group: ['ink', 'ink/*', 'react', 'react/*'], message: 'source/core imports neither ink nor react.'},
				{group: ['**/ui/**', '**/cli/**', '../ui/*', '../cli/*', '../../ui/*', '../../cli/*'], message: 'source/core imports nothing of source/ui or source/cli.'},
			]}],
		},
	},
);
