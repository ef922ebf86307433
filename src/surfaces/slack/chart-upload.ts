import type { WebClient } from '@slack/web-api';
import { chartDescription, renderChartAsync, totalOf } from '../../charts';
import type { ExecutionRecord } from '../../core/execution';
import type { ResultSummary } from '../../core/publisher';
import { oneLine } from '../../util/echo';
import { truncate } from './escape';
import type { TrailLogger } from './logger';

/** The chart's file name: the CSV's (command, window, end, id), as a PNG. */
export function chartFileName(csvName: string): string {
  return `${csvName.replace(/\.csv$/i, '')}.png`;
}

/**
 * Uploads the answer's timeline as a PNG into the thread, after its CSV (issue 17). Best effort by design: an answer
 * whose command declares no chart, or whose window holds no row, gets none; a chart that cannot be drawn or uploaded
 * is logged and the answer stands (its table and CSV are already in the thread). Returns the file id when uploaded.
 *
 * A PNG is tens of kilobytes, so WebClient's files.uploadV2 (getUploadURLExternal, the upload, completeUploadExternal
 * in one call) is used as it is; the CSV, which can be large, is streamed by the publisher itself.
 */
export async function uploadChart(o: {
  client: WebClient;
  logger: TrailLogger;
  execution: ExecutionRecord;
  result: ResultSummary;
  threadTs: string;
  csvName: string;
}): Promise<string | undefined> {
  const series = o.result.series;
  if (!series || totalOf(series) === 0) return undefined;
  try {
    const markedLabel = 'off-hours';
    const { png } = await renderChartAsync(series, { title: `/trail ${o.execution.commandText}`, markedLabel });
    const res = await o.client.files.uploadV2({
      channel_id: o.execution.channelId,
      thread_ts: o.threadTs,
      file: png,
      filename: chartFileName(o.csvName),
      title: truncate(oneLine(`Timeline of /trail ${o.execution.commandText}`), 250),
      alt_text: truncate(chartDescription(series, markedLabel), 1000),
    });
    const uploaded = (res as { files?: { files?: { id?: string }[] }[] }).files?.[0]?.files?.[0]?.id;
    return uploaded;
  } catch (err) {
    o.logger.warn(`chart of execution ${o.execution.id} not uploaded (the answer and its CSV are posted)`, err);
    return undefined;
  }
}
