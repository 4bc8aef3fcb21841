/**
 * The API-token issuer in AWS (contract v1.2: "The API trusts one issuer: itself"):
 * - the signing key: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) of its own, apart from the
 *   support-session keys, whose private half never leaves KMS. Nothing signs with it yet: the doors
 *   (exchange, client credentials, portal) get `kms:Sign` with `bindSigner` when they land;
 * - the HTTP API's **Lambda authorizer** (payload 2.0, simple responses, cached 5 minutes per
 *   `Authorization` header), which verifies the token with the key's public half. A JWT
 *   authorizer cannot be used: API Gateway's JWT authorizer checks RSA signatures only (our tokens
 *   are ES256) and not the `typ` header (docs/architecture.md, "How API Gateway checks the token").
 * The issuer is the API's own address (`TokenIssuer` output), known once the HttpApi resource exists,
 * so the first `cdk deploy` needs nothing reachable in advance.
 */
import { Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { Functions } from './functions.ts';
import { signingKey } from './keys.ts';

/** How long API Gateway keeps the authorizer's verdict on one `Authorization` header. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

export class TokenIssuer extends Construct {
  readonly key: IKey;
  readonly authorizerFunction: NodejsFunction;
  readonly authorizer: HttpLambdaAuthorizer;

  /** `keyArn`: the operator's own signing key (setting `apiTokenKeyArn`) instead of one made here. */
  constructor(scope: Construct, id: string, props: { functions: Functions; keyArn?: string }) {
    super(scope, id);
    this.key = props.keyArn
      ? Key.fromKeyArn(this, 'ApiTokenKey', props.keyArn)
      : signingKey(
          this,
          'ApiTokenKey',
          'support-access: signs API tokens (ES256, typ at+jwt)',
          'KMS rotates only symmetric keys; this asymmetric signing key is rotated by replacing it, both keys listed in the JWKS until the old key tokens (15 min) have expired.',
        );
    this.authorizerFunction = props.functions.create(this, 'AuthorizerFunction', {
      entry: 'lambdas/modules/tokens/authorizer-handlers.ts',
      description: 'support-access: the HTTP API authorizer (checks API tokens)',
      timeout: Duration.seconds(5),
    });
    this.bindVerifier(this.authorizerFunction);
    this.authorizer = new HttpLambdaAuthorizer('ApiTokenAuthorizer', this.authorizerFunction, {
      authorizerName: 'api-token',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
  }

  /** Tells the functions that check or list API tokens the issuer (the API's address, no trailing slash). */
  setIssuer(issuer: string, fns: NodejsFunction[]): void {
    for (const fn of [this.authorizerFunction, ...fns]) fn.addEnvironment('TOKEN_ISSUER', issuer);
  }

  /** Lets a function read the key's public half (the authorizer, the discovery's JWKS). */
  bindVerifier(fn: NodejsFunction): void {
    fn.addEnvironment('API_TOKEN_KEY_ARNS', this.key.keyArn);
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:GetPublicKey'], resources: [this.key.keyArn] }));
  }

  /** Lets a door sign API tokens (`kms:Sign` on this key only). */
  bindSigner(fn: NodejsFunction): void {
    this.bindVerifier(fn);
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:Sign'], resources: [this.key.keyArn] }));
  }
}
