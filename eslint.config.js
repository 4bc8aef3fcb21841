import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` with these groups of patterns, each with why. */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** Powertools (Logger, Metrics) is made in the composition root and handed in as `Telemetry`. */
const powertools = {
  group: ['@aws-lambda-powertools/*'],
  message: 'only lambdas/runtime/telemetry.ts imports Powertools; take the logger and metrics from the dependencies (`telemetry`)',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'cdk.out/', '.local/', 'coverage/', '.stryker-tmp/', 'reports/'] },
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
  // The layers' boundaries (docs/architecture.md): who may import whom.
  {
    // The domain is pure: it never learns that AWS (or the local stack) exists.
    files: ['lambdas/domain/**/*.ts'],
    rules: restrict(
      {
        group: ['@aws-sdk/*', 'aws-lambda', 'aws-cdk-lib', 'aws-cdk-lib/*', '@middy/*'],
        message: 'the domain imports nothing from AWS; declare a port in domain/ports.ts',
      },
      {
        group: ['../store/*', '../http/*', '../jobs/*', '../runtime/*', '../../local/*', '#store/*', '#http/*'],
        message: 'the domain imports only the contract and itself',
      },
      { group: ['@aws-lambda-powertools/*'], message: 'the domain imports nothing from AWS; it logs through the `Log` port' },
    ),
  },
  {
    files: ['lambdas/contract/**/*.ts'],
    rules: restrict({
      group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '../store/*', '../http/*', '../jobs/*', '../runtime/*'],
      message: 'the contract is data: routes, schemas, keys, metric names',
    }),
  },
  {
    files: ['lambdas/http/**/*.ts'],
    rules: restrict(
      {
        group: ['@aws-sdk/*', '../store/*'],
        message: 'only lambdas/runtime/ makes SDK clients and the store; take them from the dependencies',
      },
      { group: ['../jobs/*'], message: 'the HTTP functions do not import the jobs' },
      powertools,
    ),
  },
  {
    files: ['lambdas/jobs/**/*.ts'],
    rules: restrict(
      { group: ['../http/*'], message: 'jobs never import http; shared wiring lives in lambdas/runtime/' },
      {
        group: ['@aws-sdk/*', '../store/*'],
        message: 'only lambdas/runtime/ makes SDK clients and the store; take them from the dependencies',
      },
      powertools,
    ),
  },
  {
    // The session-token keys: signing and the JWKS over a port; the KMS client is the runtime's.
    files: ['lambdas/keys/**/*.ts'],
    rules: restrict(
      {
        group: ['@aws-sdk/*', '../store/*'],
        message: 'only lambdas/runtime/ makes SDK clients and the store (the KMS client: runtime/kms.ts)',
      },
      {
        group: ['../http/*', '../jobs/*', '../runtime/*'],
        message: 'the keys are an adapter below the functions; they import no layer above them',
      },
      powertools,
    ),
  },
  {
    // The store is an adapter: it implements the domain's ports and knows nothing above it.
    files: ['lambdas/store/**/*.ts'],
    rules: restrict(
      {
        group: ['../http/*', '../jobs/*', '../runtime/*'],
        message: 'the store implements the ports; it imports no layer above it',
      },
      { group: ['@aws-lambda-powertools/*'], message: 'the store logs through the `Log` port it is given' },
    ),
  },
);
