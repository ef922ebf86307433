/**
 * The CloudTrail table, once. The Athena DDL (src/ddl/render.ts), the Glue table in infra/ and the DuckDB view
 * (src/engines/duckdb) are all derived from this list, so the three cannot drift apart.
 *
 * Columns and types follow the current AWS partition-projection DDL
 * (docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html): every leaf is STRING.
 * `json` is the key as CloudTrail writes it (camelCase, sometimes odd: `sourceIPAddress`, `eventID`, `ARN`); Athena's
 * JsonSerDe matches keys case-insensitively, DuckDB's `read_json(columns=…)` does not, so the DuckDB view needs it.
 */
export type ColumnType =
  | { kind: 'string' }
  | { kind: 'struct'; fields: Column[] }
  | { kind: 'array'; of: ColumnType }
  | { kind: 'map'; key: ColumnType; value: ColumnType };

export interface Column {
  /** Lowercase column / field name as Athena exposes it. */
  name: string;
  /** Key in the CloudTrail JSON record. */
  json: string;
  type: ColumnType;
  /** Holds a JSON document kept as text (query it with json_extract_scalar). */
  jsonText?: boolean;
}

const str: ColumnType = { kind: 'string' };
const col = (name: string, json: string, type: ColumnType = str, jsonText = false): Column =>
  jsonText ? { name, json, type, jsonText } : { name, json, type };
const struct = (...fields: Column[]): ColumnType => ({ kind: 'struct', fields });

export const CLOUDTRAIL_COLUMNS: readonly Column[] = [
  col('eventversion', 'eventVersion'),
  col(
    'useridentity',
    'userIdentity',
    struct(
      col('type', 'type'),
      col('principalid', 'principalId'),
      col('arn', 'arn'),
      col('accountid', 'accountId'),
      col('invokedby', 'invokedBy'),
      col('accesskeyid', 'accessKeyId'),
      col('username', 'userName'),
      col('onbehalfof', 'onBehalfOf', struct(col('userid', 'userId'), col('identitystorearn', 'identityStoreArn'))),
      col(
        'sessioncontext',
        'sessionContext',
        struct(
          col(
            'attributes',
            'attributes',
            struct(col('mfaauthenticated', 'mfaAuthenticated'), col('creationdate', 'creationDate')),
          ),
          col(
            'sessionissuer',
            'sessionIssuer',
            struct(
              col('type', 'type'),
              col('principalid', 'principalId'),
              col('arn', 'arn'),
              col('accountid', 'accountId'),
              col('username', 'userName'),
            ),
          ),
          col('ec2roledelivery', 'ec2RoleDelivery'),
          col(
            'webidfederationdata',
            'webIdFederationData',
            struct(
              col('federatedprovider', 'federatedProvider'),
              col('attributes', 'attributes', { kind: 'map', key: str, value: str }),
            ),
          ),
        ),
      ),
    ),
  ),
  col('eventtime', 'eventTime'),
  col('eventsource', 'eventSource'),
  col('eventname', 'eventName'),
  col('awsregion', 'awsRegion'),
  col('sourceipaddress', 'sourceIPAddress'),
  col('useragent', 'userAgent'),
  col('errorcode', 'errorCode'),
  col('errormessage', 'errorMessage'),
  col('requestparameters', 'requestParameters', str, true),
  col('responseelements', 'responseElements', str, true),
  col('additionaleventdata', 'additionalEventData', str, true),
  col('requestid', 'requestID'),
  col('eventid', 'eventID'),
  col('readonly', 'readOnly'),
  col('resources', 'resources', {
    kind: 'array',
    of: struct(col('arn', 'ARN'), col('accountid', 'accountId'), col('type', 'type')),
  }),
  col('eventtype', 'eventType'),
  col('apiversion', 'apiVersion'),
  col('recipientaccountid', 'recipientAccountId'),
  col('serviceeventdetails', 'serviceEventDetails', str, true),
  col('sharedeventid', 'sharedEventID'),
  col('vpcendpointid', 'vpcEndpointId'),
  col('vpcendpointaccountid', 'vpcEndpointAccountId'),
  col('eventcategory', 'eventCategory'),
  col(
    'addendum',
    'addendum',
    struct(
      col('reason', 'reason'),
      col('updatedfields', 'updatedFields'),
      col('originalrequestid', 'originalRequestID'),
      col('originaleventid', 'originalEventID'),
    ),
  ),
  col('sessioncredentialfromconsole', 'sessionCredentialFromConsole'),
  col('edgedevicedetails', 'edgeDeviceDetails', str, true),
  col(
    'tlsdetails',
    'tlsDetails',
    struct(
      col('tlsversion', 'tlsVersion'),
      col('ciphersuite', 'cipherSuite'),
      col('clientprovidedhostheader', 'clientProvidedHostHeader'),
    ),
  ),
];

/** The table name every template queries. */
export const CLOUDTRAIL_TABLE = 'cloudtrail_logs';

/** Hive type text, e.g. `struct<type:string,arn:string>`, as used in DDL and Glue. */
export function hiveType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return 'string';
    case 'array':
      return `array<${hiveType(type.of)}>`;
    case 'map':
      return `map<${hiveType(type.key)},${hiveType(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
  }
}
