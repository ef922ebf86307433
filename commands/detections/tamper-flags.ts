import { at, type DetectedEvent, type Flag, type Json, list, text } from './common';

/**
 * Flags for `tamper`: logging and defences turned off or narrowed. Request shapes are those of the real
 * stratus-red-team records (StopLogging and DeleteTrail `name`; PutEventSelectors `eventSelectors`; DeleteFlowLogs
 * `DeleteFlowLogsRequest.FlowLogId.content`; DeleteResolverQueryLogConfig `resolverQueryLogConfigId`;
 * LeaveOrganization with no parameters). The others follow the services' API references, whose request members
 * CloudTrail records in camelCase: CloudTrail "UpdateTrail" and "PutInsightSelectors", Route 53 Resolver
 * "DisassociateResolverQueryLogConfig", GuardDuty "DeleteDetector" and "UpdateDetector" (`detectorId`, `enable`),
 * Security Hub "DisableSecurityHub", AWS Config "StopConfigurationRecorder", "DeleteConfigurationRecorder" and
 * "DeleteDeliveryChannel", Organizations "RemoveAccountFromOrganization".
 */

const inAccount = (e: DetectedEvent) => (e.account ? ` in account ${e.account}` : '');

/**
 * What a PutEventSelectors call stops logging, or undefined when every management event is still logged (or the
 * request cannot be read). The call replaces all selectors of the trail, so the new set is the whole configuration.
 * Basic selectors (CloudTrail API Reference, "EventSelector"): `IncludeManagementEvents` defaults to true,
 * `ReadWriteType` to All, and `ExcludeManagementEventSources` drops whole services. Advanced selectors ("AdvancedEventSelector",
 * "AdvancedFieldSelector"): management events are those with `eventCategory` equal to Management, and any other
 * field selector on such a selector (readOnly, eventSource, …) logs only part of them.
 */
export function eventSelectorNarrowing(request: Json): string | undefined {
  const basic = list(request.eventSelectors) as Json[];
  const advanced = list(request.advancedEventSelectors) as Json[];
  if (basic.length === 0 && advanced.length === 0) return undefined;
  const reasons: string[] = [];
  let everything = false;
  for (const s of basic) {
    if (String(s.includeManagementEvents) === 'false') continue;
    const readWrite = text(s.readWriteType) ?? 'All';
    const excluded = list(s.excludeManagementEventSources).map(String);
    if (readWrite === 'All' && excluded.length === 0) everything = true;
    if (readWrite !== 'All') reasons.push(`only ${readWrite} management events`);
    if (excluded.length) reasons.push(`management events of ${excluded.join(', ')} excluded`);
  }
  for (const s of advanced) {
    const fields = list(s.fieldSelectors) as Json[];
    const category = fields.find((f) => text(f?.field) === 'eventCategory');
    if (!category || !list(category.equals).map(String).includes('Management')) continue;
    const others = fields.filter((f) => f !== category).map((f) => text(f?.field) ?? '?');
    if (others.length === 0) everything = true;
    else reasons.push(`management events filtered by ${others.join(', ')}`);
  }
  if (everything) return undefined;
  return reasons.length ? [...new Set(reasons)].join('; ') : 'management events no longer logged';
}

/** What an UpdateTrail call changed that narrows or redirects logging (CloudTrail API Reference, "UpdateTrail"). */
function trailChanges(request: Json): string[] {
  const off = (key: string) => String(request[key]) === 'false';
  const changes: string[] = [];
  if (off('isMultiRegionTrail')) changes.push('now logs one region only');
  if (off('includeGlobalServiceEvents')) changes.push('global service events (IAM, STS) off');
  if (off('enableLogFileValidation')) changes.push('log file validation off');
  if (off('isOrganizationTrail')) changes.push('no longer an organization trail');
  const bucket = text(request.s3BucketName);
  if (bucket) changes.push(`logs now go to bucket ${bucket}`);
  if (request.kmsKeyId !== undefined) changes.push(`encryption key set to ${text(request.kmsKeyId) ?? 'none'}`);
  const group = text(request.cloudWatchLogsLogGroupArn);
  if (request.cloudWatchLogsLogGroupArn !== undefined) changes.push(`CloudWatch Logs group set to ${group ?? 'none'}`);
  return changes;
}

/** The flow log ids of DeleteFlowLogs: EC2's query-API shape `FlowLogId` (one `{content}` or a list). */
function flowLogIds(request: Json): string[] {
  const ids = list(at(request, 'DeleteFlowLogsRequest', 'FlowLogId')).map((x) => text(at(x, 'content')) ?? text(x));
  return ids.filter((x): x is string => x !== undefined);
}

/** What a tamper call was aimed at, for its flags and for a refused attempt. */
export function tamperTarget(e: DetectedEvent): string | undefined {
  const r = e.request;
  switch (e.eventName) {
    case 'StopLogging':
    case 'DeleteTrail':
    case 'UpdateTrail':
      return text(r.name) && `trail ${text(r.name)}`;
    case 'PutEventSelectors':
    case 'PutInsightSelectors':
      return text(r.trailName) && `trail ${text(r.trailName)}`;
    case 'DeleteFlowLogs': {
      const ids = flowLogIds(r);
      return ids.length ? `flow log ${ids.join(', ')}` : undefined;
    }
    case 'DeleteResolverQueryLogConfig':
    case 'DisassociateResolverQueryLogConfig':
      return text(r.resolverQueryLogConfigId) && `query logging config ${text(r.resolverQueryLogConfigId)}`;
    case 'DeleteDetector':
    case 'UpdateDetector':
      return text(r.detectorId) && `GuardDuty detector ${text(r.detectorId)}`;
    case 'StopConfigurationRecorder':
    case 'DeleteConfigurationRecorder':
      return text(r.configurationRecorderName) && `configuration recorder ${text(r.configurationRecorderName)}`;
    case 'DeleteDeliveryChannel':
      return text(r.deliveryChannelName) && `delivery channel ${text(r.deliveryChannelName)}`;
    case 'RemoveAccountFromOrganization':
      return text(r.accountId) && `account ${text(r.accountId)}`;
    default:
      return undefined;
  }
}

/** The flags of one successful tamper call. */
export function tamperFlags(e: DetectedEvent): Flag[] {
  const target = tamperTarget(e);
  const on = target ? ` ${target}` : '';
  const where = inAccount(e);
  const flag = (code: string, message: string): Flag[] => [{ code, message: `${e.who} ${message}` }];
  switch (e.eventName) {
    case 'StopLogging':
      return flag('trail-stopped', `stopped logging on${on || ' a trail'}${where}`);
    case 'DeleteTrail':
      return flag('trail-deleted', `deleted${on || ' a trail'}${where}`);
    case 'UpdateTrail': {
      const changes = trailChanges(e.request);
      // Nothing that narrows or redirects: name the settings the call sent (e.g. snsTopicName), for the reader to judge.
      const sent = Object.keys(e.request)
        .filter((k) => k !== 'name')
        .map((k) => text(k))
        .slice(0, 8);
      const what = changes.join('; ') || (sent.length ? `changed ${sent.join(', ')}` : 'settings changed');
      return flag('trail-updated', `updated${on || ' a trail'}${where}: ${what}`);
    }
    case 'PutEventSelectors': {
      const narrowed = eventSelectorNarrowing(e.request);
      return narrowed ? flag('trail-narrowed', `narrowed what${on || ' a trail'} logs${where}: ${narrowed}`) : [];
    }
    case 'PutInsightSelectors':
      // Only a readable, empty list turns Insights off; a request that cannot be read says nothing.
      return Array.isArray(e.request.insightSelectors) && e.request.insightSelectors.length === 0
        ? flag('insights-off', `turned off CloudTrail Insights on${on || ' a trail'}${where}`)
        : [];
    case 'DeleteFlowLogs':
      return flag('flow-logs-deleted', `deleted VPC${on || ' flow logs'}${where}`);
    case 'DeleteResolverQueryLogConfig':
      return flag('dns-logs-deleted', `deleted Route 53 Resolver${on || ' query logging'}${where}`);
    case 'DisassociateResolverQueryLogConfig': {
      const from = text(e.request.resourceId) ? ` from ${text(e.request.resourceId)}` : '';
      return flag('dns-logs-detached', `detached Route 53 Resolver${on || ' query logging'}${from}${where}`);
    }
    case 'DeleteDetector':
      return flag('guardduty-deleted', `deleted${on || ' the GuardDuty detector'}${where}`);
    case 'UpdateDetector':
      return flag('guardduty-disabled', `disabled${on || ' the GuardDuty detector'}${where}`);
    case 'DisableSecurityHub':
      return flag('securityhub-disabled', `disabled Security Hub${where}`);
    case 'StopConfigurationRecorder':
      return flag('config-stopped', `stopped AWS Config${on}${where}`);
    case 'DeleteConfigurationRecorder':
      return flag('config-deleted', `deleted AWS Config${on}${where}`);
    case 'DeleteDeliveryChannel':
      return flag('config-delivery-deleted', `deleted AWS Config${on}${where}`);
    case 'LeaveOrganization':
      return flag('org-left', `took${e.account ? ` account ${e.account}` : ' an account'} out of its organization`);
    case 'RemoveAccountFromOrganization':
      return flag('org-account-removed', `removed${on || ' an account'} from the organization${where}`);
    default:
      return [];
  }
}
