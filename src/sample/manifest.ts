/**
 * The sample's ground truth. Computed by looking at every record as it is written (never restated from the scenario
 * tables), so it cannot disagree with the files. Tests of the query templates and engines assert against it.
 */
import { inNetworks } from '../util/ip';
import { actorOf, type CloudTrailRecord, type JsonObject } from './record';
import { type ScenarioWindows, SG_CHANGE_EVENT_NAMES, SG_SCENARIO, type Window } from './scenarios';
import { SAMPLE_KNOWN_NETWORKS, SAMPLE_OFF_HOURS } from './world';

export interface ScenarioEventRef {
  eventId: string;
  eventName: string;
  eventTime: string;
  /** IAM user name, role name (assumed roles), `root`, or the invoking service. */
  user: string;
  accountId: string;
  region: string;
  readOnly: boolean;
}

export interface LoginRef {
  eventId: string;
  eventTime: string;
  /** IAM user name or `root`. */
  user: string;
  identityType: string;
  sourceIp: string;
  success: boolean;
  mfa: boolean;
  mobile: boolean;
  /** UTC hour in [00:00, 05:00). */
  offHours: boolean;
  /** Source address outside `knownNetworks`. */
  external: boolean;
}

export interface ErrorCount {
  errorCode: string;
  eventName: string;
  errorMessage: string;
  count: number;
}

export interface RootCount {
  eventName: string;
  /** Service acting for root (`support.amazonaws.com`), or null for root itself. */
  invokedBy: string | null;
  count: number;
  /** How many of them had MFA (console session `mfaAuthenticated`, or `MFAUsed` for a sign-in). */
  withMfa: number;
}

export interface UserCount {
  userName: string;
  count: number;
}

export interface SampleManifest {
  version: 1;
  seed: number;
  /** ISO; the end of the generated range. */
  now: string;
  /** Every event time t satisfies start <= t < end. */
  window: Window;
  days: number;
  eventsPerDay: number;
  accounts: string[];
  regions: string[];
  organizationId?: string;
  /** Networks the office logins come from (configure trailbot's known networks with these). */
  knownNetworks: string[];
  offHours: { start: string; end: string; timeZone: string };
  totalEvents: number;
  /** Log files (`CloudTrail/`), not counting digests. */
  files: number;
  digestFiles: number;
  /** Day folders (`yyyy/MM/dd`, UTC delivery day) holding log files, ascending. */
  partitions: string[];
  /** The window each scenario was planted in (cut to the generated range). */
  scenarioWindows: ScenarioWindows;
  scenarios: {
    /** Events whose requestParameters name the article's ENI or groups, by time. */
    sg: ScenarioEventRef[];
    /** Every security-group / ENI change (write) event, related to the article or not, by time. */
    sgChanges: ScenarioEventRef[];
    /** Event ids of ConsoleLogin events by category, each sorted by time. */
    allLogins: string[];
    offHoursLogins: string[];
    mobileLogins: string[];
    externalLogins: string[];
    noMfaLogins: string[];
    failedLogins: string[];
    rootLogins: string[];
    logins: LoginRef[];
    /** Grouped like the article's query (errorCode, errorMessage, eventName), count desc, then code and name. */
    errors: ErrorCount[];
    /** userIdentity.type = Root, grouped by (eventName, invokedBy), count desc, then name. */
    root: RootCount[];
    /** IAM users (userIdentity.type IAMUser) by number of events, top 10, count desc then name asc. */
    users: UserCount[];
    /** Number of distinct IAM users with at least one event. */
    distinctUsers: number;
  };
}

const SG_IDS = [SG_SCENARIO.networkInterfaceId, ...SG_SCENARIO.groupIds];

const byTime = (a: { eventTime: string; eventId: string }, b: { eventTime: string; eventId: string }) =>
  a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.eventId < b.eventId ? -1 : 1;

function stringField(obj: JsonObject | null | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Watches records as they are written and builds the scenario part of the manifest. */
export class ManifestCollector {
  totalEvents = 0;
  private readonly sg: ScenarioEventRef[] = [];
  private readonly sgChanges: ScenarioEventRef[] = [];
  private readonly logins: LoginRef[] = [];
  private readonly errors = new Map<string, ErrorCount>();
  private readonly root = new Map<string, RootCount>();
  private readonly users = new Map<string, number>();

  /** `json` is the record exactly as written (lets the common case skip parsing requestParameters). */
  observe(record: CloudTrailRecord, json: string): void {
    this.totalEvents++;
    const identity = record.userIdentity;
    if (identity.type === 'IAMUser' && identity.userName) {
      this.users.set(identity.userName, (this.users.get(identity.userName) ?? 0) + 1);
    }
    if (SG_IDS.some((id) => json.includes(id))) {
      const params = JSON.stringify(record.requestParameters);
      if (SG_IDS.some((id) => params.includes(id))) this.sg.push(this.ref(record));
    }
    if (record.eventSource === 'ec2.amazonaws.com' && SG_CHANGE_EVENT_NAMES.has(record.eventName)) {
      this.sgChanges.push(this.ref(record));
    }
    if (record.errorCode) {
      const message = record.errorMessage ?? '';
      const key = `${record.errorCode}\u0000${record.eventName}\u0000${message}`;
      const entry = this.errors.get(key) ?? {
        errorCode: record.errorCode,
        eventName: record.eventName,
        errorMessage: message,
        count: 0,
      };
      entry.count++;
      this.errors.set(key, entry);
    }
    if (record.eventName === 'ConsoleLogin' && record.eventSource === 'signin.amazonaws.com') {
      this.logins.push(this.login(record));
    }
    if (identity.type === 'Root') {
      const invokedBy = identity.invokedBy ?? null;
      const key = `${record.eventName}\u0000${invokedBy ?? ''}`;
      const entry = this.root.get(key) ?? { eventName: record.eventName, invokedBy, count: 0, withMfa: 0 };
      entry.count++;
      const mfa =
        record.eventName === 'ConsoleLogin'
          ? stringField(record.additionalEventData, 'MFAUsed') === 'Yes'
          : identity.sessionContext?.attributes.mfaAuthenticated === 'true';
      if (mfa) entry.withMfa++;
      this.root.set(key, entry);
    }
  }

  private ref(record: CloudTrailRecord): ScenarioEventRef {
    return {
      eventId: record.eventID,
      eventName: record.eventName,
      eventTime: record.eventTime,
      user: actorOf(record.userIdentity),
      accountId: record.recipientAccountId,
      region: record.awsRegion,
      readOnly: record.readOnly,
    };
  }

  private login(record: CloudTrailRecord): LoginRef {
    const extra = record.additionalEventData;
    const hour = Number(record.eventTime.slice(11, 13));
    const offStart = Number(SAMPLE_OFF_HOURS.start.slice(0, 2));
    const offEnd = Number(SAMPLE_OFF_HOURS.end.slice(0, 2));
    return {
      eventId: record.eventID,
      eventTime: record.eventTime,
      user: actorOf(record.userIdentity),
      identityType: record.userIdentity.type ?? '',
      sourceIp: record.sourceIPAddress,
      success: stringField(record.responseElements, 'ConsoleLogin') === 'Success',
      mfa: stringField(extra, 'MFAUsed') === 'Yes',
      mobile: stringField(extra, 'MobileVersion') === 'Yes',
      offHours: hour >= offStart && hour < offEnd,
      external: !inNetworks(record.sourceIPAddress, SAMPLE_KNOWN_NETWORKS),
    };
  }

  scenarios(): SampleManifest['scenarios'] {
    const logins = [...this.logins].sort(byTime);
    const ids = (keep: (l: LoginRef) => boolean) => logins.filter(keep).map((l) => l.eventId);
    const users = [...this.users.entries()]
      .map(([userName, count]) => ({ userName, count }))
      .sort((a, b) => b.count - a.count || (a.userName < b.userName ? -1 : 1));
    return {
      sg: [...this.sg].sort(byTime),
      sgChanges: [...this.sgChanges].sort(byTime),
      allLogins: ids(() => true),
      offHoursLogins: ids((l) => l.offHours),
      mobileLogins: ids((l) => l.mobile),
      externalLogins: ids((l) => l.external),
      noMfaLogins: ids((l) => !l.mfa),
      failedLogins: ids((l) => !l.success),
      rootLogins: ids((l) => l.identityType === 'Root'),
      logins,
      errors: [...this.errors.values()].sort(
        (a, b) =>
          b.count - a.count ||
          (a.errorCode < b.errorCode ? -1 : a.errorCode > b.errorCode ? 1 : a.eventName < b.eventName ? -1 : 1),
      ),
      root: [...this.root.values()].sort(
        (a, b) =>
          b.count - a.count ||
          (a.eventName < b.eventName
            ? -1
            : a.eventName > b.eventName
              ? 1
              : (a.invokedBy ?? '') < (b.invokedBy ?? '')
                ? -1
                : 1),
      ),
      users: users.slice(0, 10),
      distinctUsers: users.length,
    };
  }
}
