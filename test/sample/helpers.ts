import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A fresh folder under the OS temp dir; remove it with `removeTempDir`. */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `trailbot-sample-${label}-`));
}

export function removeTempDir(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** Every file below `root`, as `/`-separated paths relative to it, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** A CloudTrail record as read back from disk (loosely typed on purpose: the test checks the shape). */
export type ReadRecord = Record<string, unknown> & {
  eventTime: string;
  eventName: string;
  eventSource: string;
  eventID: string;
  awsRegion: string;
  recipientAccountId: string;
  sourceIPAddress: string;
  readOnly: boolean;
  userIdentity: Record<string, unknown> & {
    type?: string;
    userName?: string;
    invokedBy?: string;
    sessionContext?: { attributes?: { mfaAuthenticated?: string } };
  };
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
};

export interface LogFile {
  key: string;
  /** Uncompressed text. */
  text: string;
  records: ReadRecord[];
}

export async function readGzipJson(file: string): Promise<{ bytes: Buffer; text: string; json: unknown }> {
  const bytes = await readFile(file);
  const text = gunzipSync(bytes).toString('utf8');
  return { bytes, text, json: JSON.parse(text) };
}

/** Reads every `CloudTrail/` log file below `root` (skipping digests and other files, as a reader must). */
export async function readLogFiles(root: string): Promise<LogFile[]> {
  const keys = (await listFiles(root)).filter((k) => /\/CloudTrail\/.*\.json\.gz$/.test(k));
  const out: LogFile[] = [];
  for (const key of keys) {
    const { text, json } = await readGzipJson(path.join(root, key));
    out.push({ key, text, records: (json as { Records: ReadRecord[] }).Records });
  }
  return out;
}
