// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${timestamp}` and friends are Athena's own placeholders, expected verbatim in the DDL.
import type { TrailLocation } from '../../src/config';
import { ConfigError } from '../../src/core/errors';
import {
  CLOUDTRAIL_STORAGE,
  cloudTrailTableProperties,
  cloudTrailTableSpec,
  cloudTrailTableVariant,
  fillDdlTemplate,
  partitionKeys,
  renderCloudTrailDdl,
  renderCreateDatabaseDdl,
  renderDropTableDdl,
  tableLocation,
} from '../../src/ddl/render';
import { CLOUDTRAIL_COLUMNS } from '../../src/ddl/table';

const single: TrailLocation = {
  bucket: 'trailbot-logs-111122223333',
  prefix: '',
  accounts: ['111122223333'],
  regions: ['us-east-1'],
};
const multiRegion: TrailLocation = { ...single, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'] };
const organization: TrailLocation = {
  bucket: 'acme-org-cloudtrail',
  prefix: 'security/trails',
  accounts: ['111122223333', '444455556666', '777788889999'],
  regions: ['us-east-1', 'eu-west-1'],
  organizationId: 'o-a1b2c3d4e5',
};

/** Lines between `(`/`)` markers, e.g. the column list. */
const block = (ddl: string, opener: string): string[] => {
  const start = ddl.indexOf(opener);
  const end = ddl.indexOf('\n)', start);
  return ddl
    .slice(start + opener.length, end)
    .split('\n')
    .filter((l) => l.trim() !== '');
};

describe('renderCloudTrailDdl', () => {
  test('single account and region: the AWS partition-projection DDL', () => {
    const ddl = renderCloudTrailDdl(single, { database: 'trailbot' });
    expect(ddl).toMatchSnapshot();
    expect(block(ddl, 'PARTITIONED BY (')).toEqual(['  `timestamp` string']);
    expect(ddl).toContain("LOCATION 's3://trailbot-logs-111122223333/AWSLogs/111122223333/CloudTrail/us-east-1/'");
    expect(ddl).toContain(
      "'storage.location.template'='s3://trailbot-logs-111122223333/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}'",
    );
    expect(ddl).not.toContain('projection.region');
  });

  test('multi-region: a region enum partition and ${region} in the location template', () => {
    const ddl = renderCloudTrailDdl(multiRegion, { database: 'trailbot' });
    expect(ddl).toMatchSnapshot();
    expect(block(ddl, 'PARTITIONED BY (')).toEqual(['  `region` string,', '  `timestamp` string']);
    expect(ddl).toContain("LOCATION 's3://trailbot-logs-111122223333/AWSLogs/111122223333/CloudTrail/'");
    expect(ddl).toContain("'projection.region.values'='us-east-1,eu-west-1,ap-southeast-2'");
    expect(ddl).toContain('/AWSLogs/111122223333/CloudTrail/${region}/${timestamp}');
  });

  test('organization trail: account and region enums under AWSLogs/o-org/, after the key prefix', () => {
    const ddl = renderCloudTrailDdl(organization, { database: 'security', table: 'org_trail' });
    expect(ddl).toMatchSnapshot();
    expect(ddl.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`org_trail` (')).toBe(true);
    expect(block(ddl, 'PARTITIONED BY (')).toEqual([
      '  `account` string,',
      '  `region` string,',
      '  `timestamp` string',
    ]);
    expect(ddl).toContain("LOCATION 's3://acme-org-cloudtrail/security/trails/AWSLogs/o-a1b2c3d4e5/'");
    expect(ddl).toContain("'projection.account.values'='111122223333,444455556666,777788889999'");
    expect(ddl).toContain(
      "'storage.location.template'='s3://acme-org-cloudtrail/security/trails/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}'",
    );
  });

  test('several accounts without an organization read AWSLogs/<account>/ directly', () => {
    const location = { ...single, accounts: ['111122223333', '444455556666'] };
    expect(cloudTrailTableVariant(location)).toBe('multi-account');
    expect(tableLocation(location)).toBe('s3://trailbot-logs-111122223333/AWSLogs/');
    expect(cloudTrailTableProperties(location)['storage.location.template']).toBe(
      's3://trailbot-logs-111122223333/AWSLogs/${account}/CloudTrail/${region}/${timestamp}',
    );
  });

  test('an organization trail narrowed to one account and region is the single variant, org path kept', () => {
    const location = { ...organization, accounts: ['444455556666'], regions: ['eu-west-1'] };
    expect(cloudTrailTableVariant(location)).toBe('single');
    expect(tableLocation(location)).toBe(
      's3://acme-org-cloudtrail/security/trails/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/',
    );
  });

  test('the column list is generated from CLOUDTRAIL_COLUMNS, in the AWS order, with the AWS storage', () => {
    const ddl = renderCloudTrailDdl(single);
    const columns = block(ddl, 'EXISTS `cloudtrail_logs` (').map((l) => /^ {2}`(\w+)` /.exec(l)?.[1]);
    expect(columns).toEqual(CLOUDTRAIL_COLUMNS.map((c) => c.name));
    // The top-level columns of the AWS partition-projection DDL (Athena User Guide,
    // create-cloudtrail-table-partition-projection.html).
    expect(columns).toEqual([
      'eventversion',
      'useridentity',
      'eventtime',
      'eventsource',
      'eventname',
      'awsregion',
      'sourceipaddress',
      'useragent',
      'errorcode',
      'errormessage',
      'requestparameters',
      'responseelements',
      'additionaleventdata',
      'requestid',
      'eventid',
      'readonly',
      'resources',
      'eventtype',
      'apiversion',
      'recipientaccountid',
      'serviceeventdetails',
      'sharedeventid',
      'vpcendpointid',
      'vpcendpointaccountid',
      'eventcategory',
      'addendum',
      'sessioncredentialfromconsole',
      'edgedevicedetails',
      'tlsdetails',
    ]);
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'");
    expect(ddl).toContain("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'");
    expect(ddl).toContain("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'");
    expect(ddl).not.toMatch(/^--/m);
  });

  test('an unqualified table is created in the current database', () => {
    expect(renderCloudTrailDdl(single).split('\n')[0]).toBe('CREATE EXTERNAL TABLE IF NOT EXISTS `cloudtrail_logs` (');
  });

  test('projection starts 2020/01/01 unless told otherwise', () => {
    expect(cloudTrailTableProperties(single)['projection.timestamp.range']).toBe('2020/01/01,NOW');
    expect(cloudTrailTableProperties(single, { projectionStart: '2024/06/01' })['projection.timestamp.range']).toBe(
      '2024/06/01,NOW',
    );
    expect(() => cloudTrailTableProperties(single, { projectionStart: '2024-06-01' })).toThrow(ConfigError);
  });
});

describe('the same table as data, for the Glue table in infra/', () => {
  test('spec, partition keys and properties are what the DDL says', () => {
    const spec = cloudTrailTableSpec(organization, { table: 'org_trail' });
    const ddl = renderCloudTrailDdl(organization, { table: 'org_trail' });
    expect(spec.name).toBe('org_trail');
    expect(spec.partitionKeys).toEqual(partitionKeys(organization));
    expect(partitionKeys(organization).map((k) => k.name)).toEqual(['account', 'region', 'timestamp']);
    expect(spec).toMatchObject(CLOUDTRAIL_STORAGE);
    expect(ddl).toContain(`LOCATION '${spec.location}'`);
    for (const [key, value] of Object.entries(spec.parameters)) expect(ddl).toContain(`'${key}'='${value}'`);
    for (const column of spec.columns) expect(ddl).toContain(`  \`${column.name}\` ${column.type}`);
    expect(spec.columns.find((c) => c.name === 'resources')?.type).toBe(
      'array<struct<arn:string,accountid:string,type:string>>',
    );
  });

  test('partition keys per variant', () => {
    expect(partitionKeys(single)).toEqual([{ name: 'timestamp', type: 'string' }]);
    expect(partitionKeys(multiRegion).map((k) => k.name)).toEqual(['region', 'timestamp']);
  });
});

describe('validation before anything reaches DDL text', () => {
  const problemsOf = (location: TrailLocation): string[] => {
    try {
      renderCloudTrailDdl(location);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  test('every problem is reported at once', () => {
    const problems = problemsOf({
      bucket: "logs'); DROP TABLE x; --",
      prefix: "a'b",
      accounts: ['1234', '111122223333'],
      regions: ['us-east-1', "us-east-1' --"],
      organizationId: 'o-short',
    });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/bucket .* not a valid S3 bucket name/);
    expect(problems.join('\n')).toMatch(/prefix/);
    expect(problems.join('\n')).toMatch(/`1234` is not a 12-digit/);
    expect(problems.join('\n')).toMatch(/region `us-east-1' --`/);
    expect(problems.join('\n')).toMatch(/organization id/);
  });

  test.each([
    ['xn--bucket', /reserved prefix/],
    ['bucket-s3alias', /reserved suffix/],
    ['192.168.1.1', /IP address/],
    ['my..bucket', /adjacent dots/],
    ['ab', /not a valid S3 bucket name/],
    ['UpperCase', /not a valid S3 bucket name/],
  ])('bucket %s is refused', (bucket, message) => {
    expect(problemsOf({ ...single, bucket })[0]).toMatch(message);
  });

  test.each(['/leading', 'trailing/', 'double//slash', 'with space', 'dollar${x}'])(
    'prefix %s is refused',
    (prefix) => {
      expect(problemsOf({ ...single, prefix })).toHaveLength(1);
    },
  );

  test('regions from every partition shape are accepted', () => {
    for (const region of ['us-gov-west-1', 'cn-northwest-1', 'ap-southeast-5', 'il-central-1', 'eu-central-2']) {
      expect(() => renderCloudTrailDdl({ ...single, regions: [region] })).not.toThrow();
    }
  });

  test('missing bucket, accounts or regions are problems, duplicates are merged', () => {
    expect(problemsOf({ prefix: '', accounts: [], regions: [] })).toHaveLength(3);
    expect(partitionKeys({ ...single, regions: ['us-east-1', 'us-east-1'] })).toEqual([
      { name: 'timestamp', type: 'string' },
    ]);
  });

  test('database and table names must be Athena identifiers', () => {
    expect(() => renderCloudTrailDdl(single, { database: 'trail-bot' })).toThrow(ConfigError);
    expect(() => renderCloudTrailDdl(single, { table: 'logs`; DROP' })).toThrow(ConfigError);
    expect(() => renderCreateDatabaseDdl('Trailbot')).toThrow(ConfigError);
  });
});

describe('other DDL statements and the template filler', () => {
  test('create database and drop table', () => {
    expect(renderCreateDatabaseDdl('trailbot')).toBe('CREATE DATABASE IF NOT EXISTS `trailbot`');
    expect(renderDropTableDdl({ database: 'trailbot' })).toBe('DROP TABLE IF EXISTS `trailbot`.`cloudtrail_logs`');
  });

  test('filled values are not scanned again; unknown and unused placeholders are errors', () => {
    expect(fillDdlTemplate('a ${x} b', { x: '${y}' })).toBe('a ${y} b');
    expect(() => fillDdlTemplate('a ${x} ${z}', { x: '1' })).toThrow(/\$\{z\} has no value/);
    expect(() => fillDdlTemplate('a ${x}', { x: '1', extra: '2' })).toThrow(/does not use extra/);
  });
});
