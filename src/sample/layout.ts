/**
 * Where CloudTrail puts its files in the bucket, and how it names them
 * (docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html, and
 * cloudtrail-log-file-validation-digest-file-structure.html for digests):
 *
 *   AWSLogs/[o-org/]<account>/CloudTrail/<region>/yyyy/MM/dd/<account>_CloudTrail_<region>_<yyyyMMddTHHmmZ>_<16 chars>.json.gz
 *   AWSLogs/[o-org/]<account>/CloudTrail-Digest/<region>/yyyy/MM/dd/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<yyyyMMddTHHmmssZ>.json.gz
 *
 * The date in the folder and the name is the UTC delivery time, not the event time: an event at 23:58 can sit in
 * the next day's folder.
 */

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `yyyy/MM/dd` (UTC). */
export function dayFolder(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}`;
}

/** `yyyyMMddTHHmmZ` (UTC), as in log file names. */
export function minuteStamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}Z`;
}

/** `yyyyMMddTHHmmssZ` (UTC), as in digest file names. */
export function secondStamp(epochMs: number): string {
  return `${minuteStamp(epochMs).slice(0, -1)}${pad2(new Date(epochMs).getUTCSeconds())}Z`;
}

/** `AWSLogs/<account>` or, for an organization trail, `AWSLogs/<o-id>/<account>`. */
export function accountPrefix(accountId: string, organizationId?: string): string {
  return organizationId ? `AWSLogs/${organizationId}/${accountId}` : `AWSLogs/${accountId}`;
}

export function logFileKey(
  accountId: string,
  region: string,
  deliveredAt: number,
  suffix: string,
  organizationId?: string,
): string {
  return `${accountPrefix(accountId, organizationId)}/CloudTrail/${region}/${dayFolder(deliveredAt)}/${accountId}_CloudTrail_${region}_${minuteStamp(deliveredAt)}_${suffix}.json.gz`;
}

export function digestFileKey(
  accountId: string,
  region: string,
  trailName: string,
  homeRegion: string,
  deliveredAt: number,
  organizationId?: string,
): string {
  return `${accountPrefix(accountId, organizationId)}/CloudTrail-Digest/${region}/${dayFolder(deliveredAt)}/${accountId}_CloudTrail-Digest_${region}_${trailName}_${homeRegion}_${secondStamp(deliveredAt)}.json.gz`;
}
