import { resourceNameOfArn } from '../../commands/who';
import { paramValues, queryOf, usageMessage } from '../helpers/commands';

describe('who', () => {
  test('renders for an id (snapshot) and an ARN, which also matches its resource name', () => {
    expect(queryOf('who sg-5887f224').query.sql).toMatchSnapshot();
    const arn = 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-5887f224';
    expect(paramValues(`who ${arn}`).slice(4)).toEqual([arn, arn, arn, 'sg-5887f224', 'sg-5887f224']);
    expect(resourceNameOfArn('arn:aws:s3:::my-bucket')).toBe('my-bucket');
  });
  test('needs a resource of at least 3 characters', () => {
    expect(usageMessage('who')).toBe('`who`: which resource? Give its id or ARN.');
    expect(usageMessage('who ab')).toBe(
      '`who`: resource `ab` is not a resource id or ARN. Accepted: a resource id or name of 3–255 characters (e.g. i-0abc123def4567890, sg-5887f224, my-bucket) or an ARN.',
    );
    expect(usageMessage('who sg-1 sg-2')).toBe('`who`: unexpected argument `sg-2`.');
  });
});

describe('user', () => {
  test('a name matches the user or the role behind a session (snapshot); an ARN matches ARNs', () => {
    expect(queryOf('user bobodell').query.sql).toMatchSnapshot();
    expect(paramValues('user bobodell').slice(4)).toEqual(['bobodell', 'bobodell']);
    const arn = 'arn:aws:iam::123456789012:user/alice';
    const r = queryOf(`user ${arn}`);
    expect(r.query.sql).toContain('useridentity.arn = ?');
    expect(r.query.params.slice(4).map((p) => p.value)).toEqual([arn, arn]);
  });
  test('names outside IAM rules are refused', () => {
    expect(usageMessage('user')).toBe('`user`: which user? Give an IAM user name or ARN.');
    expect(usageMessage("user bob'--")).toBe(
      "`user`: user `bob'--` is not an IAM user name or ARN. Accepted: an IAM user name (up to 64 of A-Z a-z 0-9 + = , . @ _ -) or an ARN.",
    );
    expect(usageMessage(`user ${'a'.repeat(65)}`)).toContain('is not an IAM user name or ARN');
  });
});

describe('ip', () => {
  test('an address becomes a /32 or /128 network; a CIDR is normalised (snapshot)', () => {
    expect(queryOf('ip 203.0.113.7').query.sql).toMatchSnapshot();
    expect(paramValues('ip 203.0.113.7').at(-1)).toBe('203.0.113.7/32');
    expect(paramValues('ip 10.1.2.3/8').at(-1)).toBe('10.0.0.0/8');
    expect(paramValues('ip 2001:DB8::1').at(-1)).toBe('2001:db8::1/128');
    expect(paramValues('ip 2001:db8:0:0::/32').at(-1)).toBe('2001:db8::/32');
  });
  test('loose or invalid addresses are refused', () => {
    for (const bad of [
      '1.2.3',
      '127.1',
      '0x7f.0.0.1',
      '1.2.3.4/33',
      'fe80::1%eth0',
      '::/129',
      '1.2.3.4/8/8',
      'localhost',
    ]) {
      expect(usageMessage(`ip ${bad}`)).toContain('is not an IPv4/IPv6 address or CIDR');
    }
    expect(usageMessage('ip')).toBe('`ip`: which address? Give an IP address or CIDR.');
  });
});

describe('recent', () => {
  test('defaults to the last hour, newest first (snapshot); writes and errors narrow it', () => {
    const r = queryOf('recent');
    expect(r.normalized).toBe('recent all 1h');
    expect(r.query.sql).toMatchSnapshot();
    expect(queryOf('recent writes').query.sql).toContain("readonly = 'false'");
    expect(queryOf('recent errors 2h').query.sql).toContain("errorcode <> ''");
  });
  test('other words are refused', () => {
    expect(usageMessage('recent reads')).toBe('`recent`: `reads` is not accepted. Accepted: all, writes, errors.');
  });
});

describe('limits shared by both engines', () => {
  test('an ARN longer than Athena accepts as one parameter is refused at once', () => {
    const long = `arn:aws:s3:::${'b'.repeat(990)}`;
    expect(usageMessage(`who ${long}`)).toContain('is not a resource id or ARN');
    expect(usageMessage(`user ${long}`)).toContain('is not an IAM user name or ARN');
  });
  test('zero-width and direction-changing characters are shown escaped, never raw', () => {
    const message = usageMessage('who ab\u202e\u200bc');
    expect(message).toContain('\\u202e\\u200b');
    expect(message).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
  });
});
