/**
 * Tenant records of the registry as the rollout reads them: which ones can be
 * deployed, which are broken and why, and what a deploy of one needs (stack
 * name, roles, template URL, parameters).
 *
 * Pure, no imports beyond naming, the ring plan and the fleet's locations: the planner Lambda bundles it.
 * Records are data anyone with write access to the table can put there, so
 * every rule CloudFormation or the engine would trip over later is checked here,
 * and a broken record gets a reason instead of failing a whole ring.
 */
import { ENGINE_ITEM_PREFIX } from './fleet-locations';
import { unknownRingReason } from './ring-plan';
import { artifactBucketName } from '../shared/naming';

export type TenantModel = 'silo' | 'pool';
export type TenantStatus = 'active' | 'suspended' | 'retired';

/** What the engine writes after each attempt. */
export interface TenantResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'INVALID';
  readonly reason?: string;
  readonly release: string;
  /** ISO time. */
  readonly at: string;
}

/** A record that passed validation, defaults applied. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly account: string;
  readonly region: string;
  readonly ring?: string;
  readonly model: TenantModel;
  /** CloudFormation parameters of this tenant; they override the release's. */
  readonly parameters: Record<string, string>;
  readonly status: TenantStatus;
  readonly lastRelease?: string;
  readonly lastResult?: TenantResult;
}

export interface InvalidTenant {
  /** `(unknown)` when the record has no string tenantId. */
  readonly tenantId: string;
  readonly reason: string;
  /** Position in the input, for records without a usable tenantId. */
  readonly index?: number;
}

export interface InactiveTenant {
  readonly tenantId: string;
  readonly status: 'suspended' | 'retired';
}

export interface TenantValidation {
  /** Active and deployable, in input order. */
  readonly valid: TenantRecord[];
  readonly invalid: InvalidTenant[];
  /** Suspended or retired: not deployed, not checked further. */
  readonly inactive: InactiveTenant[];
}

export interface TenantRecordOptions {
  /** Regions where the contract has artifact stores, so a template can be read there. */
  readonly regions: readonly string[];
  readonly stackNamePrefix: string;
  readonly applicationName: string;
  /** Ring names a record may name (the rollout's named rings). */
  readonly ringNames: readonly string[];
}

export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
/** CloudFormation parameter names are alphanumeric (API Parameter.ParameterKey). */
export const PARAMETER_KEY_PATTERN = /^[A-Za-z0-9]{1,255}$/;
/** CloudFormation: a parameter value holds at most 4,096 characters. */
export const PARAMETER_VALUE_LIMIT = 4096;
/** CloudFormation: at most 200 parameters per template. */
export const PARAMETER_COUNT_LIMIT = 200;
/** CloudFormation stack names: 128 characters, a letter first, then letters, digits and '-'. */
export const STACK_NAME_LIMIT = 128;
/**
 * Bytes of parameters (as JSON) one tenant may carry. CloudFormation alone would
 * allow 200 values of 4,096 characters (over 800 KB), but each tenant is one
 * Distributed Map item and one child execution, whose input and state data are
 * capped at 256 KiB (Step Functions quotas); a quarter leaves room for the rest.
 */
export const PARAMETERS_BYTES_LIMIT = 65_536;
const STACK_NAME_PATTERN = /^[A-Za-z][-A-Za-z0-9]*$/;
export const UNKNOWN_TENANT_ID = '(unknown)';

/** Registry items that are not tenants (`#lock`, `#release`): a tenant id never starts with `#`. */
export function isSpecialItem(item: unknown): boolean {
  return isObject(item) && typeof item.tenantId === 'string' && item.tenantId.startsWith(ENGINE_ITEM_PREFIX);
}

/** Silo: one stack per account; pool: one stack per tenant, the tenant id in its name. */
export function stackNameFor(
  record: { readonly tenantId: string; readonly model?: TenantModel },
  prefix: string,
  applicationName: string,
): string {
  const base = `${prefix}${applicationName}`;
  return record.model === 'pool' ? `${base}-${record.tenantId}` : base;
}

/**
 * Sorts records into valid, invalid and inactive. Special items (`#lock`,
 * `#release`) are skipped. Two active silo records with the same account are
 * both invalid, each naming the other(s), whatever else is wrong with them.
 */
export function validateTenantRecords(records: readonly unknown[], options: TenantRecordOptions): TenantValidation {
  const candidates: Candidate[] = [];
  const invalid: InvalidTenant[] = [];
  const inactive: InactiveTenant[] = [];
  records.forEach((item, index) => {
    if (isSpecialItem(item)) return;
    if (!isObject(item) || typeof item.tenantId !== 'string') {
      invalid.push({
        tenantId: UNKNOWN_TENANT_ID,
        index,
        reason: `record ${index} ${isObject(item) ? 'has no string tenantId' : 'is not an object'}`,
      });
      return;
    }
    const status = item.status;
    if (status === 'suspended' || status === 'retired') {
      inactive.push({ tenantId: item.tenantId, status });
      return;
    }
    candidates.push(checkRecord(item, options));
  });
  addDuplicateSiloAccounts(candidates);
  const valid: TenantRecord[] = [];
  for (const { record, reasons } of candidates) {
    if (reasons.length === 0) valid.push(record);
    else invalid.push({ tenantId: record.tenantId, reason: reasons.join('; ') });
  }
  return { valid, invalid, inactive };
}

interface Candidate {
  readonly record: TenantRecord;
  readonly reasons: string[];
  /** The record says status 'active' (a record without a valid status is invalid, not active). */
  readonly active: boolean;
}

function checkRecord(item: Record<string, unknown>, options: TenantRecordOptions): Candidate {
  const reasons: string[] = [];
  const tenantId = item.tenantId as string;
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    reasons.push(`tenantId '${tenantId}' must be 1 to 63 letters, digits or '-', starting with a letter or digit`);
  }
  const { account, region, ring, status } = item;
  if (typeof account !== 'string' || !ACCOUNT_PATTERN.test(account)) {
    reasons.push(`account ${JSON.stringify(account)} is not a 12-digit AWS account id`);
  }
  if (typeof region !== 'string' || !options.regions.includes(region)) {
    const served = options.regions.length === 0 ? 'none' : options.regions.join(', ');
    // Step Functions' SDK integrations call the state machine's own region, so a
    // rollout deploys to its own region only (one FleetRollout per region).
    reasons.push(`region ${JSON.stringify(region)} is not served by this rollout (it deploys to ${served} only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region`);
  }
  const model = item.model ?? 'silo';
  if (model !== 'silo' && model !== 'pool') {
    reasons.push(`model ${JSON.stringify(model)} must be 'silo' or 'pool'`);
  }
  if (status !== 'active') {
    reasons.push(`status ${JSON.stringify(status)} must be 'active', 'suspended' or 'retired'`);
  }
  if (ring !== undefined && (typeof ring !== 'string' || !options.ringNames.includes(ring))) {
    reasons.push(typeof ring === 'string' ? unknownRingReason(ring, options.ringNames) : `ring ${JSON.stringify(ring)} must be a string`);
  }
  reasons.push(...parameterReasons(item.parameters));
  const stackName = stackNameFor({ tenantId, model: model as TenantModel }, options.stackNamePrefix, options.applicationName);
  if (stackName.length > STACK_NAME_LIMIT) {
    reasons.push(`stack name '${stackName}' is ${stackName.length} characters, over CloudFormation's limit of ${STACK_NAME_LIMIT}`);
  } else if (!STACK_NAME_PATTERN.test(stackName)) {
    reasons.push(`stack name '${stackName}' must start with a letter and hold only letters, digits and '-'`);
  }
  const record: TenantRecord = {
    tenantId,
    account: account as string,
    region: region as string,
    ...(typeof ring === 'string' ? { ring } : {}),
    model: model as TenantModel,
    parameters: isObject(item.parameters) ? item.parameters as Record<string, string> : {},
    status: 'active',
    ...(typeof item.lastRelease === 'string' ? { lastRelease: item.lastRelease } : {}),
    ...(isObject(item.lastResult) ? { lastResult: item.lastResult as unknown as TenantResult } : {}),
  };
  return { record, reasons, active: status === 'active' };
}

/** Why a parameter map would be refused by CloudFormation; [] when it is fine or absent. */
export function parameterReasons(parameters: unknown, what = 'parameters'): string[] {
  if (parameters === undefined) return [];
  if (!isObject(parameters)) return [`${what} must be a map of strings to strings`];
  const reasons: string[] = [];
  const entries = Object.entries(parameters);
  if (entries.length > PARAMETER_COUNT_LIMIT) {
    reasons.push(`${what} has ${entries.length} entries, over CloudFormation's limit of ${PARAMETER_COUNT_LIMIT} parameters`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(parameters), 'utf8');
  if (bytes > PARAMETERS_BYTES_LIMIT) {
    reasons.push(`${what} take ${bytes} bytes as JSON, over the ${PARAMETERS_BYTES_LIMIT} a tenant's work item may carry (Step Functions passes at most 256 KiB per item)`);
  }
  for (const [key, value] of entries) {
    if (!PARAMETER_KEY_PATTERN.test(key)) {
      reasons.push(`${what} key '${key}' is not a CloudFormation parameter name (1 to 255 letters or digits)`);
    }
    if (typeof value !== 'string') {
      reasons.push(`${what}.${key} must be a string, not ${JSON.stringify(value)}`);
    } else if (value.length > PARAMETER_VALUE_LIMIT) {
      reasons.push(`${what}.${key} is ${value.length} characters, over CloudFormation's limit of ${PARAMETER_VALUE_LIMIT}`);
    }
  }
  return reasons;
}

/** Only the account decides here: any other problem of the record does not make room for a second silo tenant. */
function addDuplicateSiloAccounts(candidates: readonly Candidate[]): void {
  const byAccount = new Map<string, string[]>();
  const counted = candidates.filter(({ active }) => active);
  for (const { record } of counted) {
    if (record.model !== 'silo' || typeof record.account !== 'string' || !ACCOUNT_PATTERN.test(record.account)) continue;
    byAccount.set(record.account, [...(byAccount.get(record.account) ?? []), record.tenantId]);
  }
  for (const { record, reasons } of counted) {
    const sharing = byAccount.get(record.account);
    if (record.model !== 'silo' || sharing === undefined || sharing.length < 2) continue;
    const others = sharing.filter((id) => id !== record.tenantId);
    reasons.push(`account ${record.account} is also the account of active silo tenant ${others.map((id) => `'${id}'`).join(', ')}; a silo account holds one tenant`);
  }
}

/**
 * Wait seconds between attempts to assume a tenant's action role: 30, 60, 120,
 * ... doubling up to 900, the last trimmed so they add up to exactly `windowSeconds`.
 */
export function roleWaitSchedule(windowSeconds: number): number[] {
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0) {
    throw new Error(`roleWaitSchedule: windowSeconds must be a whole number of at least 0, got ${windowSeconds}`);
  }
  const schedule: number[] = [];
  let total = 0;
  let next = 30;
  while (total < windowSeconds) {
    const wait = Math.min(next, windowSeconds - total);
    schedule.push(wait);
    total += wait;
    next = Math.min(next * 2, 900);
  }
  return schedule;
}

/** The execution input of a rollout: what to deploy. */
export interface Release {
  readonly version: string;
  /** Key of the template in every region's artifact store. */
  readonly templateKey: string;
  readonly parameters?: Record<string, string>;
}

export const RELEASE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** S3 object keys hold at most 1,024 bytes. */
const S3_KEY_LIMIT = 1024;

/** Why a release cannot be rolled out; [] when it can. */
export function releaseProblems(release: unknown): string[] {
  if (!isObject(release)) return ['release must be an object { version, templateKey, parameters? }'];
  const reasons: string[] = [];
  const { version, templateKey, parameters } = release;
  if (typeof version !== 'string' || !RELEASE_VERSION_PATTERN.test(version)) {
    reasons.push(`release.version ${JSON.stringify(version)} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (typeof templateKey !== 'string' || templateKey.length === 0 || templateKey.startsWith('/') || new TextEncoder().encode(templateKey).length > S3_KEY_LIMIT) {
    reasons.push(`release.templateKey ${JSON.stringify(templateKey)} must be an S3 key of 1 to ${S3_KEY_LIMIT} bytes, not starting with '/'`);
  }
  reasons.push(...parameterReasons(parameters, 'release.parameters'));
  return reasons;
}

/** Where the engine deploys: names and addresses from the planner's environment. */
export interface DeployContext {
  readonly qualifier: string;
  readonly toolingAccount: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackNamePrefix: string;
  readonly applicationName: string;
  readonly actionRoleName: string;
  readonly executionRoleName: string;
}

/** One tenant's deploy, as the ring files and the onboarding machine carry it. */
export interface TenantWorkItem {
  readonly tenantId: string;
  readonly account: string;
  readonly region: string;
  readonly ring: string;
  readonly stackName: string;
  readonly actionRoleArn: string;
  readonly executionRoleArn: string;
  readonly templateUrl: string;
  readonly release: string;
  readonly parameters: { ParameterKey: string; ParameterValue: string }[];
}

/** The artifact store that holds the template for tenants of `region`. */
export function templateLocation(release: Release, region: string, context: DeployContext): { bucket: string; key: string; url: string } {
  const bucket = artifactBucketName(context.qualifier, context.toolingAccount, region);
  const path = release.templateKey.split('/').map(encodeURIComponent).join('/');
  return { bucket, key: release.templateKey, url: `https://${bucket}.s3.${region}.${context.urlSuffix}/${path}` };
}

/** The work item of a valid tenant; tenant parameters override the release's, keys sorted. */
export function workItemFor(record: TenantRecord, ring: string, release: Release, context: DeployContext): TenantWorkItem {
  const merged: Record<string, string> = { ...(release.parameters ?? {}), ...record.parameters };
  const role = (name: string): string => `arn:${context.partition}:iam::${record.account}:role/${name}`;
  return {
    tenantId: record.tenantId,
    account: record.account,
    region: record.region,
    ring,
    stackName: stackNameFor(record, context.stackNamePrefix, context.applicationName),
    actionRoleArn: role(context.actionRoleName),
    executionRoleArn: role(context.executionRoleName),
    templateUrl: templateLocation(release, record.region, context).url,
    release: release.version,
    parameters: Object.keys(merged).sort().map((key) => ({ ParameterKey: key, ParameterValue: merged[key] })),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
