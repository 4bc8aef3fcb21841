import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** `no-restricted-imports` with these groups of patterns, each with why. */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** Powertools (Logger, Metrics) is made in the composition root and handed in as `Telemetry`. */
const powertools = {
  group: ['@aws-lambda-powertools/*'],
  message: 'only lambdas/runtime/telemetry.ts imports Powertools; take the logger and metrics from the dependencies (`telemetry`)',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'packages/*/dist/', 'cdk.out/', '.local/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Tests read JSON answers as the frontend would: loosely typed on purpose.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Cold start (docs/performance.md): a function builds the zod schemas it uses when it first
    // uses them, never all of them when its module loads.
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            ":matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > :matches(CallExpression, ObjectExpression, ArrayExpression):not([callee.name='lazily']):has(MemberExpression[object.name='z'])",
          message: 'a schema at module level is built at cold start: wrap it in lazily(() => …) (lambdas/contract/schemas.ts)',
        },
      ],
    },
  },
  // The layout's boundaries (docs/architecture.md "Layout"): who may import whom.
  {
    // No import circles anywhere in the Lambda code (a type-only import is erased, so it is no circle).
    files: ['lambdas/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Only store files (and the composition root's adapters) talk to AWS; Powertools is the telemetry's.
    files: ['lambdas/**/*.ts'],
    ignores: ['lambdas/kernel/store/**', 'lambdas/modules/*/store.ts', 'lambdas/modules/*/store-*.ts', 'lambdas/runtime/**'],
    rules: restrict(
      {
        group: ['@aws-sdk/*'],
        message: "only store files (lambdas/kernel/store/, a module's store*.ts) and lambdas/runtime/ import the SDK",
      },
      powertools,
    ),
  },
  {
    // A module sees another only through that module's entry file (index.ts); its schemas.ts is
    // contract data another module's schemas may build on.
    files: ['lambdas/modules/**/*.ts'],
    rules: restrict(
      {
        regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.ts$|schemas\\.ts$)',
        message: "another module is imported through its entry file: '../<module>/index.ts' (or, for the contract's data, its schemas.ts)",
      },
      { group: ['@aws-lambda-powertools/*'], message: powertools.message },
      {
        regex: '^(\\.\\./)+runtime/(?!index\\.ts$|kms\\.ts$|mailer\\.ts$|eventbridge-bus\\.ts$|stream\\.ts$|telemetry\\.ts$)',
        message: 'a module takes its dependencies from lambdas/runtime/index.ts',
      },
    ),
  },
  {
    // A module's rules: pure, over its own files, the kernel and the contract (another module's
    // rules only through its entry file); nothing from AWS, no store, no handler, no runtime.
    files: ['lambdas/modules/**/*.ts'],
    ignores: [
      'lambdas/modules/*/store.ts',
      'lambdas/modules/*/store-*.ts',
      'lambdas/modules/*/handlers.ts',
      'lambdas/modules/*/*-handlers.ts',
      'lambdas/modules/*/index.ts',
    ],
    rules: restrict(
      {
        group: ['@aws-sdk/*', 'aws-lambda', 'aws-cdk-lib', 'aws-cdk-lib/*', '@middy/*', '@aws-lambda-powertools/*'],
        message: "a module's rules import nothing from AWS; declare a port in its store.ts or the kernel",
      },
      {
        regex: '^\\./(store|store-.*|handlers|.*-handlers)\\.ts$',
        message: "a module's rules never import its store or its handlers: they are given the port",
      },
      {
        regex: '^(\\.\\./)+(runtime|jobs|kernel/http|kernel/store)/',
        message: "a module's rules import only their module, the kernel's rules and the contract",
      },
      {
        regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.ts$|schemas\\.ts$)',
        message: "another module is imported through its entry file: '../<module>/index.ts' (or, for the contract's data, its schemas.ts)",
      },
    ),
  },
  {
    // The kernel is below every module: it never imports one, nor the runtime (types excepted).
    files: ['lambdas/kernel/**/*.ts'],
    rules: restrict(
      { regex: '^(\\.\\./)+(modules|jobs)/', message: 'the kernel is what every module uses; it imports no module' },
      { regex: '^(\\.\\./)+runtime/', allowTypeImports: true, message: 'the kernel imports only types from lambdas/runtime/' },
      powertools,
    ),
  },
  {
    files: ['lambdas/contract/**/*.ts'],
    rules: restrict({
      group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '../runtime/*', '../jobs/*', '../kernel/http/*', '../kernel/store/*'],
      message: 'the contract is data: routes, schemas, keys, metric names',
    }),
  },
  {
    files: ['lambdas/jobs/**/*.ts'],
    rules: restrict(
      {
        regex: '^(\\.\\./)+(modules/[^/]+/(handlers|.*-handlers)|kernel/http/)',
        message: 'jobs never import the HTTP functions; shared wiring lives in lambdas/runtime/',
      },
      { group: ['@aws-sdk/*'], message: 'only store files and lambdas/runtime/ import the SDK' },
      powertools,
    ),
  },
);
