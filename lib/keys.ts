/**
 * The stack's own KMS keys, made one way: rotated yearly, and with the key-policy statement the
 * AWS Control Tower control CT.KMS.PR.3 asks for (only AWS services may be given KMS grants).
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** A customer managed key with rotation, whose grants can only be made for AWS services. */
export function stackKey(scope: Construct, id: string, description: string): Key {
  const key = new Key(scope, id, { description, enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  key.addToResourcePolicy(grantsOnlyForAwsServices());
  return key;
}

/** CT.KMS.PR.3: nobody but an AWS service may be given a grant on the key. */
function grantsOnlyForAwsServices(): PolicyStatement {
  return new PolicyStatement({
    sid: 'GrantsOnlyForAwsServices',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/**
 * An asymmetric ES256 signing key (ECC_NIST_P256, SIGN_VERIFY) whose private half never leaves KMS,
 * with the same grant statement. KMS does not rotate asymmetric keys: `rotation` says how it is
 * rotated instead, as the acknowledgement of Control Tower's CT.KMS.PR.1 check.
 */
export function signingKey(scope: Construct, id: string, description: string, rotation: string): Key {
  const key = new Key(scope, id, {
    description,
    keySpec: KeySpec.ECC_NIST_P256,
    keyUsage: KeyUsage.SIGN_VERIFY,
    // A removed key is deleted after the longest waiting period, well after its tokens (15 min).
    pendingWindow: Duration.days(30),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.addToResourcePolicy(grantsOnlyForAwsServices());
  Validations.of(key).acknowledge({ id: 'cdk-validator-cfnguard::kms_key_rotation_enabled_check', reason: `CT.KMS.PR.1: ${rotation}` });
  return key;
}

/** The key of every log group of the stack: CloudWatch Logs may use it for this account's log groups only. */
export function logsKey(scope: Construct, id: string): Key {
  const key = stackKey(scope, id, 'support-access: encrypts the function and access logs');
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
      },
    }),
  );
  return key;
}
