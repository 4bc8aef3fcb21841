/**
 * Stateful: the single DynamoDB table (built from the shared key design in
 * `lambdas/contract/table.ts`, the same module the local stack's `CreateTable` uses) and the key
 * that signs list cursors, and the key of the audit hash chain. Nothing here is replaced or deleted
 * by a deploy.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tableDefinition } from '../lambdas/contract/table.ts';

export class Data extends Construct {
  /** The single table: every entity, the outbox and the access entries. */
  readonly table: Table;
  /** The HMAC key of the opaque list cursors (a forged cursor is a 400). */
  readonly cursorSecret: Secret;
  /** The HMAC key of the audit hash chain: kept outside the table so the table alone cannot forge links. */
  readonly auditKey: Secret;
  /** The key of the audit events' write-time MACs: held by the functions that write or verify events. */
  readonly eventKey: Secret;

  /** The operator's table key (setting `tableKeyArn`); absent, DynamoDB encrypts with an AWS managed key. */
  readonly tableKey?: IKey;

  constructor(scope: Construct, id: string, props: { tableKeyArn?: string } = {}) {
    super(scope, id);
    if (props.tableKeyArn) this.tableKey = Key.fromKeyArn(this, 'TableKey', props.tableKeyArn);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The operator's own key when given: its key policy stays theirs, the functions get IAM grants on it (bindTable).
      ...(this.tableKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.tableKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // The outbox consumer reads new images; old images let a future consumer see transitions.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
    });
    for (const index of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.pk, type: AttributeType.STRING },
        sortKey: { name: index.sk, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'HMAC key that signs the opaque list cursors of the support-access API',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.auditKey = new Secret(this, 'AuditChainKey', {
      description: 'HMAC key of the support-access audit hash chain (sealing and verification)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Without it, the chains already sealed can no longer be verified.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.auditKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every sealed audit link is an HMAC under this key; rotating it would make the existing chains unverifiable. It is read only by the expiry job (sealing) and the audit function (verification).',
    });

    this.eventKey = new Secret(this, 'AuditEventKey', {
      description: 'HMAC key of the support-access audit events (written by the API, checked by verification)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Without it, the events already written can no longer be checked.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.eventKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every audit event carries an HMAC under this key; rotating it would make the existing events unverifiable. It is read only by the functions that write audit events and by verification.',
    });

    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Signs short-lived list cursors only (no credential to another system). Rotating it just invalidates cursors in flight; rotate by hand with put-secret-value when needed.',
    });
  }
}
