/**
 * Who may call the API: a Cognito user pool with the four roles as groups and the tenant of a
 * tenant user as `custom:tenantId`, or, when CDK context names one (`jwtIssuer`, `jwtAudience`),
 * an existing OIDC issuer. Either way the API's JWT authorizer gets an issuer URL and audiences.
 */
import { Aws, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
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
}

export class Auth extends Construct {
  /** Issuer URL the JWT authorizer trusts. */
  readonly issuer: string;
  /** Audiences the JWT authorizer accepts. */
  readonly audience: string[];
  /** Only when the stack creates its own pool. */
  readonly userPool?: UserPool;
  readonly userPoolClient?: UserPoolClient;
  readonly userPoolDomain?: UserPoolDomain;

  constructor(scope: Construct, id: string, props: AuthProps = {}) {
    super(scope, id);

    if (props.jwtIssuer && props.jwtAudience && props.jwtAudience.length > 0) {
      this.issuer = props.jwtIssuer;
      this.audience = props.jwtAudience;
      return;
    }
    if (props.jwtIssuer || props.jwtAudience?.length) {
      throw new Error('Give both jwtIssuer and jwtAudience (or neither, to create a Cognito user pool).');
    }
    if (!props.callbackUrls?.length) throw new Error('The web client needs at least one callback URL.');

    const pool = new UserPool(this, 'UserPool', {
      // Users are invited by an administrator; nobody signs up into a tenant.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
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
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls ?? [],
        logoutUrls: props.logoutUrls ?? [],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      // The API reads custom:tenantId from the ID token; users may change their name and email only.
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('tenantId'),
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
    new CfnManagedLoginBranding(this, 'SignInBranding', {
      userPoolId: pool.userPoolId,
      clientId: client.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    this.userPool = pool;
    this.userPoolClient = client;
    this.userPoolDomain = domain;
    this.issuer = pool.userPoolProviderUrl;
    this.audience = [client.userPoolClientId];
  }
}

const groupId = (role: string) =>
  role
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('') + 'Group';
