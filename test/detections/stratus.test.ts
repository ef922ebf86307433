import * as fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CommandContext } from '../../commands/types';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import {
  DAY,
  deliverToTempFolder,
  type Event,
  HAVE_STRATUS,
  onDay,
  runDetection,
  STRATUS,
  stratusFiles,
} from './helpers';

/**
 * Each Stratus Red Team technique of issue 19, detonated for real (the stratus-red-team detonation logs in
 * ../shared/data): its records, moved to one day and delivered into a temporary folder in a trail's S3 layout together
 * with the benign records of the other detonations (reads, describes, AssumeRole, secrets and SSM calls, sign-in),
 * are asked about with the real command through the embedded DuckDB engine. The technique's events must be found and
 * flagged with what happened, who did it and to what; every other event must go unflagged.
 */

interface Expected {
  eventName: string;
  code: string;
  message: string;
}

const TECHNIQUES: [technique: string, file: string, command: string, expected: Expected[]][] = [
  [
    'cloudtrail-stop',
    'defense-evasion.cloudtrail-stop',
    'tamper',
    [
      {
        eventName: 'StopLogging',
        code: 'trail-stopped',
        message:
          'christophe stopped logging on trail stratus-red-team-ct-stop-trail-buykxbqejv in account 143434273843',
      },
    ],
  ],
  [
    'cloudtrail-delete',
    'defense-evasion.cloudtrail-delete',
    'tamper',
    [
      {
        eventName: 'DeleteTrail',
        code: 'trail-deleted',
        message: 'christophe deleted trail stratus-red-team-cloudtraild-trail-kvrwohmiai in account 847129010505',
      },
    ],
  ],
  [
    'cloudtrail-event-selectors',
    'defense-evasion.cloudtrail-event-selectors',
    'tamper',
    [
      {
        eventName: 'PutEventSelectors',
        code: 'trail-narrowed',
        message:
          'christophe narrowed what trail stratus-red-team-ctes-trail-khlvciwdor logs in account 958312252124: management events no longer logged',
      },
    ],
  ],
  [
    'vpc-remove-flow-logs',
    'defense-evasion.vpc-remove-flow-logs',
    'tamper',
    [
      {
        eventName: 'DeleteFlowLogs',
        code: 'flow-logs-deleted',
        message: 'christophe deleted VPC flow log fl-0e17aa62a21d4bbfe in account 498376118699',
      },
    ],
  ],
  [
    'dns-delete-logs',
    'defense-evasion.dns-delete-logs',
    'tamper',
    [
      {
        eventName: 'DeleteResolverQueryLogConfig',
        code: 'dns-logs-deleted',
        message:
          'christophe deleted Route 53 Resolver query logging config rqlc-4473f20ca554c07 in account 206821776919',
      },
    ],
  ],
  [
    // The detonation's role had no permission: the attempt is what the log holds, and it is flagged as one.
    'organizations-leave',
    'defense-evasion.organizations-leave',
    'tamper',
    [
      {
        eventName: 'LeaveOrganization',
        code: 'denied-attempt',
        message:
          'stratus-red-team-leave-org-role tried LeaveOrganization in account 307578594326 and was refused (AccessDenied)',
      },
    ],
  ],
  [
    'iam-create-admin-user',
    'persistence.iam-create-admin-user',
    'iam',
    [
      {
        eventName: 'AttachUserPolicy',
        code: 'admin-policy-attached',
        message: 'christophe attached AdministratorAccess to user malicious-iam-user in account 229654561268',
      },
      {
        eventName: 'CreateAccessKey',
        code: 'access-key-created',
        message: 'christophe created an access key for user malicious-iam-user in account 229654561268',
      },
      {
        eventName: 'CreateUser',
        code: 'iam-user-created',
        message: 'christophe created IAM user malicious-iam-user in account 229654561268',
      },
    ],
  ],
  [
    'iam-backdoor-user',
    'persistence.iam-backdoor-user',
    'iam',
    [
      {
        eventName: 'CreateAccessKey',
        code: 'access-key-created',
        message: 'christophe created an access key for user stratus-red-team-backdoor-u-user in account 946986569305',
      },
    ],
  ],
  [
    'iam-backdoor-role',
    'persistence.iam-backdoor-role',
    'iam',
    [
      {
        eventName: 'UpdateAssumeRolePolicy',
        code: 'trust-outside',
        message:
          'christophe changed the trust policy of role stratus-red-team-backdoor-r-role in account 751203476945 so that account 193672423079 can assume it',
      },
    ],
  ],
  [
    'iam-create-backdoor-role',
    'persistence.iam-create-backdoor-role',
    'iam',
    [
      {
        eventName: 'AttachRolePolicy',
        code: 'admin-policy-attached',
        message:
          'christophe attached AdministratorAccess to role stratus-red-team-malicious-iam-role in account 609418236337',
      },
      {
        eventName: 'CreateRole',
        code: 'role-created',
        message: 'christophe created role stratus-red-team-malicious-iam-role in account 609418236337',
      },
      {
        eventName: 'CreateRole',
        code: 'trust-outside',
        message:
          'christophe created role stratus-red-team-malicious-iam-role in account 609418236337 so that account 193672423079 can assume it',
      },
    ],
  ],
  [
    'ec2-share-ebs-snapshot',
    'exfiltration.ec2-share-ebs-snapshot',
    'exposed',
    [
      {
        eventName: 'ModifySnapshotAttribute',
        code: 'snapshot-shared',
        message:
          'christophe shared EBS snapshot snap-041993b54a9b3af6f in account 756680937392 with account 098797384747',
      },
    ],
  ],
  [
    'ec2-share-ami',
    'exfiltration.ec2-share-ami',
    'exposed',
    [
      {
        eventName: 'ModifyImageAttribute',
        code: 'ami-shared',
        message: 'christophe shared AMI ami-de1fbCab6ccB03e6D in account 118238665043 with account 846424999548',
      },
    ],
  ],
  [
    'rds-share-snapshot',
    'exfiltration.rds-share-snapshot',
    'exposed',
    [
      {
        eventName: 'ModifyDBSnapshotAttribute',
        code: 'rds-snapshot-shared',
        message: 'christophe shared RDS snapshot exfiltration in account 171471557522 with account 503161813013',
      },
    ],
  ],
];

/** Detonations of other tactics: reads, describes, AssumeRole, secrets, SSM, sign-in. None is a detection's business. */
const BACKGROUND = /^(credential-access|discovery|execution|lateral-movement|impact|initial-access)\./;

const ctx: CommandContext = { config: testConfig(), now: new Date('2026-11-22T12:00:00Z') };
const WINDOW = `${DAY}..${DAY}`;

if (!HAVE_STRATUS) console.log(`skipping the Stratus Red Team detection tests: ${STRATUS} does not exist`);

(HAVE_STRATUS ? describe : describe.skip)('detections on real Stratus Red Team detonations', () => {
  let instance: DuckDBInstance;
  let files: Map<string, Event[]>;
  let background: Event[];
  const folders: string[] = [];

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    files = stratusFiles();
    background = [...files].filter(([name]) => BACKGROUND.test(name)).flatMap(([, events]) => events);
  });
  afterAll(() => {
    instance.closeSync();
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
  });

  async function ask(records: Event[], text: string) {
    const dir = deliverToTempFolder(records.map(onDay));
    folders.push(dir);
    const engine = new DuckDbEngine({ dataDir: dir, instance, logger: () => {} });
    try {
      return await runDetection(engine, text, ctx);
    } finally {
      await engine.close();
    }
  }

  test('the background holds over 250 benign events, reads and describes among them', () => {
    expect(background.length).toBeGreaterThan(250);
    expect(background.some((e) => String(e.eventName).startsWith('Describe'))).toBe(true);
  });

  test.each(TECHNIQUES)('%s (%s): found and flagged by %s', async (_technique, file, command, expected) => {
    const technique = files.get(file);
    expect(technique).toBeDefined();
    const answer = await ask([...technique!, ...background], `${command} ${WINDOW}`);

    const attack = technique!.filter((e) => expected.some((x) => x.eventName === e.eventName));
    const attackIds = attack.map((e) => String(e.eventID)).sort();
    // Found: every event of the technique is a row of the answer.
    expect(answer.records.map((r) => String(r.eventid)).sort()).toEqual(attackIds);
    // Flagged: with what happened, who did it and to what.
    const byId = new Map(attack.map((e) => [String(e.eventID), String(e.eventName)]));
    const flags = [...answer.flagged].flatMap(([id, fs]) => fs.map((f) => ({ eventName: byId.get(id)!, ...f })));
    const order = (a: Expected, b: Expected) =>
      a.eventName.localeCompare(b.eventName) || a.code.localeCompare(b.code) || a.message.localeCompare(b.message);
    expect(flags.sort(order)).toEqual([...expected].sort(order));
    // Not flagged: the technique's own setup (AssumeRole) and every background event.
    const benign = [...technique!, ...background].filter((e) => !byId.has(String(e.eventID)));
    expect(benign.length).toBeGreaterThan(0);
    expect(benign.filter((e) => answer.flagged.has(String(e.eventID)))).toEqual([]);
  });

  test('over all 310 real events, each command flags exactly the events of its techniques', async () => {
    const all = [...files.values()].flat();
    expect(all).toHaveLength(310);
    for (const command of ['tamper', 'iam', 'exposed']) {
      const answer = await ask(all, `${command} ${WINDOW}`);
      const want = TECHNIQUES.filter(([, , c]) => c === command).flatMap(([, file, , expected]) =>
        files
          .get(file)!
          .filter((e) => expected.some((x) => x.eventName === e.eventName))
          .map((e) => String(e.eventID)),
      );
      // Two techniques outside issue 19's list are IAM persistence as well and are flagged by `iam`: a console
      // password created for a user (iam-create-user-login-profile) and one changed (iam-update-user-login-profile).
      // That detonation's cleanup, a DeleteLoginProfile that failed with EntityTemporarilyUnmodifiable, is not.
      if (command === 'iam') {
        for (const [file, name] of [
          ['persistence.iam-create-user-login-profile', 'CreateLoginProfile'],
          ['privilege-escalation.iam-update-user-login-profile', 'UpdateLoginProfile'],
        ] as const) {
          want.push(
            ...files
              .get(file)!
              .filter((e) => e.eventName === name)
              .map((e) => String(e.eventID)),
          );
        }
      }
      expect({ command, flagged: [...answer.flagged.keys()].sort() }).toEqual({ command, flagged: want.sort() });
    }
  });
});
