import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { STORE_TABLE } from '../../src/store/schema';

export interface ExecutionTableProps {
  encryptionKey: kms.IKey;
}

/**
 * The ExecutionStore's one table, keyed as src/store/schema.ts defines it (the store creates the same table in
 * dynalite for the embedded mode): executions, schedules and the audit trail. On-demand billing (the bot writes a
 * handful of items per question; no capacity to size or pay for while idle), point-in-time recovery, the stack's KMS
 * key, TTL on `expiresAt`, and RETAIN with deletion protection: the audit trail outlives the stack.
 */
export class ExecutionTable extends Construct {
  readonly table: dynamodb.Table;
  readonly indexNames: readonly string[];

  constructor(scope: Construct, id: string, props: ExecutionTableProps) {
    super(scope, id);
    const s = STORE_TABLE;
    const string = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: s.partitionKey, type: string },
      sortKey: { name: s.sortKey, type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: s.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(s.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: string },
        sortKey: { name: index.sortKey, type: string },
        // Both indexes are read to list and resume executions; ALL avoids a second GetItem per listed item.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    this.indexNames = Object.values(s.indexes).map((index) => index.indexName);
  }
}
