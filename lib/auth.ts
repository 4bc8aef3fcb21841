/**
 * Who may call the API: a Cognito user pool with the four roles as groups and the tenant of a
 * tenant user as `custom:tenantId` (always made: the console signs in through it), and the issuer
 * the API's JWT authorizer trusts: the pool's, or, when CDK context names one (`jwtIssuer`,
 * `jwtAudience`), an existing OIDC issuer.
 */
import { Aws, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  type CfnUserPoolClient,
  ClientAttributes,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StringAttribute,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../lambdas/contract/routes.ts';

export interface AuthProps {
  /** An existing issuer (`https://...`); with `jwtAudience`, no user pool is created. */
  jwtIssuer?: string;
  /** The audiences (`aud` or `client_id`) the authorizer accepts from `jwtIssuer`. */
  jwtAudience?: string[];
  /** Prefix of the Cognito sign-in domain. @default `support-access-{account}` */
  domainPrefix?: string;
  /** Where the sign-in pages may send the browser back with a code. */
  callbackUrls?: string[];
  /** Where the sign-in pages may send the browser after sign-out. */
  logoutUrls?: string[];
  /** Also allow SRP and username/password sign-in on the web client. @default false */
  allowPasswordAuthFlows?: boolean;
  /** Requests per client IP per 5 minutes above which AWS WAF blocks sign-in traffic. @default no web ACL */
  wafRateLimit?: number;
}

/**
 * How long an ID or access token lives. The API authorizes from the token's groups, so removing
 * someone from a group (or disabling them) takes effect within this time; refresh tokens keep
 * sessions going (each refresh reads the user's current groups).
 */
export const TOKEN_VALIDITY = Duration.minutes(15);

export class Auth extends Construct {
  /** Issuer URL the JWT authorizer trusts. */
  readonly issuer: string;
  /** Audiences the JWT authorizer accepts. */
  readonly audience: string[];
  /** The stack's own pool, made in every deployment. */
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly userPoolDomain: UserPoolDomain;
  /** Only with `wafRateLimit`: the web ACL on the user pool. */
  readonly webAcl?: CfnWebACL;

  constructor(scope: Construct, id: string, props: AuthProps = {}) {
    super(scope, id);

    if (Boolean(props.jwtIssuer) !== Boolean(props.jwtAudience?.length)) {
      throw new Error('Give both jwtIssuer and jwtAudience (or neither, to trust the Cognito user pool).');
    }
    if (!props.callbackUrls?.length) throw new Error('The web client needs at least one callback URL.');

    const pool = new UserPool(this, 'UserPool', {
      // Users are invited by an administrator; nobody signs up into a tenant.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      // CAROL@ACME.TEST and carol@acme.test are one user, never two.
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // A changed email stays unverified and out of the token until the user confirms the code
      // sent to the new address; until then the token keeps the old, verified one.
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: true, mutable: true },
      },
      // Set once at invitation; a user can never move itself to another tenant.
      customAttributes: { tenantId: new StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Essentials tier: MFA is required (TOTP) and users are invited only. The Plus tier (threat protection) is a cost decision for the operator; see docs/infrastructure.md.',
    });

    for (const role of ROLES) {
      pool.addGroup(groupId(role), { groupName: role, description: `support-access role ${role}` });
    }

    // The sign-in pages (managed login) at {prefix}.auth.{region}.amazoncognito.com.
    const domain = pool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? Fn.join('-', ['support-access', Aws.ACCOUNT_ID]) },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    // The web frontend is a public client: authorization code grant, no secret, so the browser
    // must prove the code is its own with PKCE (code_challenge S256 at /oauth2/authorize,
    // code_verifier at /oauth2/token); Cognito then refuses the code without the verifier.
    const client = pool.addClient('WebClient', {
      generateSecret: false,
      // Only what the setting allows; the escape hatch below pins ExplicitAuthFlows either way,
      // because an absent list means Cognito's default (SRP and custom auth on).
      authFlows: props.allowPasswordAuthFlows ? { userSrp: true, userPassword: true } : {},
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls ?? [],
        logoutUrls: props.logoutUrls ?? [],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: TOKEN_VALIDITY,
      accessTokenValidity: TOKEN_VALIDITY,
      refreshTokenValidity: Duration.days(1),
      // The API reads custom:tenantId from the ID token. Name and email stay writable because
      // Cognito requires an app client to be able to write the pool's required attributes; an
      // email change takes effect only once verified (keepOriginal above), and tokens from this
      // client lack the aws.cognito.signin.user.admin scope that UpdateUserAttributes needs.
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('tenantId'),
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
    (client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = props.allowPasswordAuthFlows
      ? ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']
      : ['ALLOW_REFRESH_TOKEN_AUTH'];
    new CfnManagedLoginBranding(this, 'SignInBranding', {
      userPoolId: pool.userPoolId,
      clientId: client.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    if (props.wafRateLimit !== undefined) {
      // AWS WAF cannot be attached to an API Gateway HTTP API; it can to the user pool, which
      // covers the managed login pages and the Cognito user pool API (sign-in, password reset).
      this.webAcl = new CfnWebACL(this, 'SignInWebAcl', {
        scope: 'REGIONAL',
        description: 'support-access: rate limit on the Cognito sign-in, per client IP',
        defaultAction: { allow: {} },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'support-access-sign-in', sampledRequestsEnabled: true },
        rules: [
          {
            name: 'RateLimitPerIp',
            priority: 0,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: props.wafRateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
            visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'support-access-sign-in-rate', sampledRequestsEnabled: true },
          },
        ],
      });
      new CfnWebACLAssociation(this, 'SignInWebAclAssociation', { resourceArn: pool.userPoolArn, webAclArn: this.webAcl.attrArn });
    }

    this.userPool = pool;
    this.userPoolClient = client;
    this.userPoolDomain = domain;
    // The pool is made whatever the issuer: the console signs in through it (the default identity
    // provider, API.md v1.2), and the other providers are added to it, not put in its place.
    this.issuer = props.jwtIssuer ?? pool.userPoolProviderUrl;
    this.audience = props.jwtAudience?.length ? props.jwtAudience : [client.userPoolClientId];
  }
}

const groupId = (role: string) =>
  role
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('') + 'Group';
