/**
 * Who may call the API: a Cognito user pool with the four roles as groups and the tenant of a
 * tenant user as `custom:tenantId`, or, when CDK context names one (`jwtIssuer`, `jwtAudience`),
 * an existing OIDC issuer. Either way the API's JWT authorizer gets an issuer URL and audiences.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StringAttribute,
  UserPool,
  UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../lambdas/contract/routes.ts';

export interface AuthProps {
  /** An existing issuer (`https://...`); with `jwtAudience`, no user pool is created. */
  jwtIssuer?: string;
  /** The audiences (`aud` or `client_id`) the authorizer accepts from `jwtIssuer`. */
  jwtAudience?: string[];
}

export class Auth extends Construct {
  /** Issuer URL the JWT authorizer trusts. */
  readonly issuer: string;
  /** Audiences the JWT authorizer accepts. */
  readonly audience: string[];
  /** Only when the stack creates its own pool. */
  readonly userPool?: UserPool;
  readonly userPoolClient?: UserPoolClient;

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

    const client = pool.addClient('WebClient', {
      authFlows: { userSrp: true },
      // Sign-in is SRP from the web app; no hosted UI, so no OAuth flows (and never implicit).
      disableOAuth: true,
      generateSecret: false,
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

    this.userPool = pool;
    this.userPoolClient = client;
    this.issuer = pool.userPoolProviderUrl;
    this.audience = [client.userPoolClientId];
  }
}

const groupId = (role: string) =>
  role
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('') + 'Group';
