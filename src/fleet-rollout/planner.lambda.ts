/**
 * The planner of a fleet rollout, the engine's only Lambda: record validation
 * and ring assignment need code, SDK integrations cannot do them.
 *
 * - `rollout` (once per rollout): reads every record, marks the broken ones
 *   INVALID, assigns rings, checks the release's template is in the artifact
 *   store of every region it deploys to, and writes one ring file per ring for
 *   the Distributed Maps to read.
 * - `onboard` (once per new or reactivated tenant): decides whether the tenant
 *   gets the last finished release, and its work item.
 *
 * Thin on purpose: the decisions are in ring-plan.ts and tenant-record.ts; this
 * file reads and writes. Every write is idempotent, so a retried invocation is harmless.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand, ScanCommandInput, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { RELEASE_ITEM_ID, ringFileKey } from './fleet-locations';
import { assignRings, isOnRelease, namedRingNames, RingSpec, ringSpecProblems } from './ring-plan';
import {
  DeployContext, InvalidTenant, Release, releaseProblems, TenantRecord, TenantResult, TenantWorkItem,
  templateLocation, UNKNOWN_TENANT_ID, validateTenantRecords, workItemFor,
} from './tenant-record';

/** Retry on the SDK alone, adaptive under throttling (a rollout can wait). */
const SDK_RETRY = { maxAttempts: 6, retryMode: 'adaptive' } as const;

/** The handler's SDK clients; exported so tests can check how they are built. S3 clients per region are made on demand. */
export const clients = {
  dynamo: new DynamoDBClient(SDK_RETRY),
  /** The work bucket is in the Lambda's region. */
  s3: new S3Client(SDK_RETRY),
  regionalS3: new Map<string, S3Client>(),
};

/** The ring a work item of an onboarding names when the tenant names none. */
export const ONBOARDING_RING = 'onboarding';
/** Parallel UpdateItem calls when marking invalid records. */
const MARK_PARALLELISM = 10;

export interface RolloutEvent {
  readonly mode: 'rollout';
  readonly release: Release;
  readonly executionName: string;
}

export interface OnboardEvent {
  readonly mode: 'onboard';
  readonly tenantId: string;
}

export type PlannerEvent = RolloutEvent | OnboardEvent;

export interface PlannedRing {
  readonly name: string;
  /** Tenants to deploy (the ring's file holds as many work items). */
  readonly count: number;
  /** Key of the ring file in the work bucket. */
  readonly itemsKey: string;
}

export interface RolloutPlanResult {
  /** One per configured ring, in order. */
  readonly rings: PlannedRing[];
  /** Tenants to deploy, all rings. */
  readonly total: number;
  readonly invalid: number;
  readonly alreadyOnRelease: number;
  readonly inactive: number;
  /**
   * The release's parameters as a JSON string (`{}` when the input has none):
   * what the state machine records in `#release` for onboarding, since JSONPath
   * cannot write an open map as DynamoDB JSON.
   */
  readonly releaseParameters: string;
}

export type OnboardResult =
  | { readonly deploy: true; readonly item: TenantWorkItem }
  | { readonly deploy: false; readonly reason: string };

/** The planner's settings, from its environment. */
export interface PlannerConfig extends DeployContext {
  readonly tableName: string;
  readonly workBucket: string;
  readonly regions: string[];
  readonly rings: RingSpec[];
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

function jsonEnv<T>(name: string): T {
  try {
    return JSON.parse(env(name)) as T;
  } catch (error) {
    throw new Error(`environment variable ${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads and checks the environment; a bad one fails every invocation with the reason. */
export function readConfig(): PlannerConfig {
  const regions = jsonEnv<string[]>('REGIONS');
  const rings = jsonEnv<RingSpec[]>('RINGS');
  if (!Array.isArray(regions) || !regions.every((region) => typeof region === 'string')) {
    throw new Error('environment variable REGIONS must be a JSON array of region codes');
  }
  if (!Array.isArray(rings)) throw new Error('environment variable RINGS must be a JSON array of rings');
  // The concurrency is the engine's business; 1 passes its check.
  const problems = ringSpecProblems('RINGS', rings, 1);
  if (problems.length > 0) {
    throw new Error(`environment variable RINGS is invalid: ${problems.map((p) => `${p.property}: ${p.reason}`).join('; ')}`);
  }
  return {
    tableName: env('TABLE_NAME'),
    workBucket: env('WORK_BUCKET'),
    qualifier: env('QUALIFIER'),
    toolingAccount: env('TOOLING_ACCOUNT'),
    partition: env('PARTITION'),
    urlSuffix: env('URL_SUFFIX'),
    stackNamePrefix: process.env.STACK_NAME_PREFIX ?? '',
    applicationName: env('APPLICATION_NAME'),
    actionRoleName: env('ACTION_ROLE_NAME'),
    executionRoleName: env('EXECUTION_ROLE_NAME'),
    regions,
    rings,
  };
}

export async function handler(event: PlannerEvent): Promise<RolloutPlanResult | OnboardResult> {
  const config = readConfig();
  if (event?.mode === 'rollout') return planRollout(event, config);
  if (event?.mode === 'onboard') return planOnboarding(event, config);
  throw new Error(`unknown planner mode ${JSON.stringify((event as { mode?: unknown })?.mode)}; expected 'rollout' or 'onboard'`);
}


async function planRollout(event: RolloutEvent, config: PlannerConfig): Promise<RolloutPlanResult> {
  const problems = releaseProblems(event.release);
  if (problems.length > 0) throw new Error(`invalid release: ${problems.join('; ')}`);
  if (typeof event.executionName !== 'string' || event.executionName === '') {
    throw new Error('executionName is missing: pass $$.Execution.Name');
  }
  const release = event.release;
  const records = await scanAll(config.tableName);
  const checked = validateTenantRecords(records, recordOptions(config));
  const assignment = assignRings(checked.valid, config.rings, release.version);
  const invalid = [...checked.invalid, ...assignment.invalid];
  await markInvalid(config.tableName, invalid, release.version, records);

  const regions = new Set(assignment.rings.flatMap((ring) => ring.tenants.map((tenant) => tenant.region)));
  // Before any ring: a release missing from a region fails the rollout, not every tenant of that region.
  for (const region of [...regions].sort()) await requireTemplate(release, region, config);

  const rings: PlannedRing[] = [];
  for (const ring of assignment.rings) {
    const items = ring.tenants.map((tenant) => workItemFor(tenant, ring.name, release, config));
    const itemsKey = ringFileKey(event.executionName, ring.name);
    await clients.s3.send(new PutObjectCommand({
      Bucket: config.workBucket,
      Key: itemsKey,
      Body: JSON.stringify(items),
      ContentType: 'application/json',
    }));
    rings.push({ name: ring.name, count: items.length, itemsKey });
  }
  const result: RolloutPlanResult = {
    rings,
    total: rings.reduce((sum, ring) => sum + ring.count, 0),
    invalid: invalid.length,
    alreadyOnRelease: assignment.rings.reduce((sum, ring) => sum + ring.alreadyOnRelease.length, 0),
    releaseParameters: JSON.stringify(release.parameters ?? {}),
    inactive: checked.inactive.length,
  };
  console.log(JSON.stringify({ release: release.version, ...result, invalidTenants: invalid.slice(0, 50) }));
  return result;
}

async function planOnboarding(event: OnboardEvent, config: PlannerConfig): Promise<OnboardResult> {
  const tenantId = event.tenantId;
  if (typeof tenantId !== 'string' || tenantId === '') throw new Error('tenantId is missing from the onboarding input');
  if (tenantId.startsWith('#')) return finish({ deploy: false, reason: `'${tenantId}' is a registry item of the engine, not a tenant` });
  const [tenant, releaseItem] = await Promise.all([getItem(config.tableName, tenantId), getItem(config.tableName, RELEASE_ITEM_ID)]);
  if (tenant === undefined) return finish({ deploy: false, reason: `tenant '${tenantId}' is not in the registry` });
  if (releaseItem === undefined) {
    return finish({ deploy: false, reason: `no release has finished every ring yet; tenant '${tenantId}' gets the first one` });
  }
  const release: Release = {
    version: releaseItem.version as string,
    templateKey: releaseItem.templateKey as string,
    parameters: releaseParameters(releaseItem.parameters),
  };
  const problems = releaseProblems(release);
  if (problems.length > 0) throw new Error(`the registry's ${RELEASE_ITEM_ID} item is not a valid release: ${problems.join('; ')}`);

  // The silo rule needs the other records of the same account.
  const sameAccount = typeof tenant.account === 'string' ? await scanAll(config.tableName, tenant.account, tenantId) : [];
  const checked = validateTenantRecords([tenant, ...sameAccount], recordOptions(config));
  const ownInvalid = checked.invalid.find((entry) => entry.tenantId === tenantId);
  if (ownInvalid) {
    // Only the newcomer is marked: the tenant already there keeps deploying.
    await markInvalid(config.tableName, [ownInvalid], release.version, [tenant]);
    return finish({ deploy: false, reason: ownInvalid.reason });
  }
  const inactive = checked.inactive.find((entry) => entry.tenantId === tenantId);
  if (inactive) return finish({ deploy: false, reason: `tenant '${tenantId}' is ${inactive.status}` });
  const record = checked.valid.find((entry) => entry.tenantId === tenantId) as TenantRecord;
  if (isOnRelease(record, release.version)) {
    return finish({ deploy: false, reason: `tenant '${tenantId}' is already on release ${release.version}` });
  }
  await requireTemplate(release, record.region, config);
  return finish({ deploy: true, item: workItemFor(record, record.ring ?? ONBOARDING_RING, release, config) });
}

function finish(result: OnboardResult): OnboardResult {
  console.log(JSON.stringify(result));
  return result;
}

function recordOptions(config: PlannerConfig) {
  return {
    regions: config.regions,
    stackNamePrefix: config.stackNamePrefix,
    applicationName: config.applicationName,
    ringNames: namedRingNames(config.rings),
  };
}

/** Every item, all pages, strongly consistent (a record written just before the rollout counts); optionally those of one account but `exceptTenantId`. */
async function scanAll(tableName: string, account?: string, exceptTenantId?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: ScanCommandInput['ExclusiveStartKey'];
  do {
    const input: ScanCommandInput = {
      TableName: tableName,
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
      ...(account !== undefined ? {
        FilterExpression: '#account = :account AND #tenantId <> :tenantId',
        ExpressionAttributeNames: { '#account': 'account', '#tenantId': 'tenantId' },
        ExpressionAttributeValues: marshall({ ':account': account, ':tenantId': exceptTenantId ?? '' }),
      } : {}),
    };
    const page = await clients.dynamo.send(new ScanCommand(input));
    items.push(...(page.Items ?? []).map(fromItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

async function getItem(tableName: string, tenantId: string): Promise<Record<string, unknown> | undefined> {
  const out = await clients.dynamo.send(new GetItemCommand({ TableName: tableName, Key: marshall({ tenantId }), ConsistentRead: true }));
  return out.Item === undefined ? undefined : fromItem(out.Item);
}

/**
 * A DynamoDB item as plain data. The records hold no numbers, so a number is a
 * mistake the validation reports; unwrapped, a number out of JavaScript's range
 * (`1e400`) would make `unmarshall` throw and one bad record fail the whole rollout.
 */
export function fromItem(item: Parameters<typeof unmarshall>[0]): Record<string, unknown> {
  return plain(unmarshall(item, { wrapNumbers: true })) as Record<string, unknown>;
}

/**
 * A wrapped number: the SDK's NumberValue, told by its shape since its class is
 * exported under different names across SDK versions (a map item is a plain object).
 */
function isWrappedNumber(value: unknown): value is { value: string } {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype
    && typeof (value as { value?: unknown }).value === 'string';
}

function plain(value: unknown): unknown {
  if (isWrappedNumber(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Set) return new Set([...value].map(plain));
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plain(entry)]));
  }
  return value;
}

/**
 * Sets lastResult INVALID with the reason, leaving lastRelease alone (the stack
 * still runs that release). Skips records already marked so for this release
 * and reason, and records without a key to write to. The condition keeps a
 * record deleted meanwhile from coming back as a stub.
 */
async function markInvalid(
  tableName: string, invalid: readonly InvalidTenant[], release: string, records: readonly Record<string, unknown>[],
): Promise<void> {
  const current = new Map(records.filter((r) => typeof r?.tenantId === 'string').map((r) => [r.tenantId as string, r]));
  const at = new Date().toISOString();
  const todo = invalid.filter(({ tenantId, reason }) => {
    if (tenantId === UNKNOWN_TENANT_ID || tenantId === '') return false;
    const last = current.get(tenantId)?.lastResult as Partial<TenantResult> | undefined;
    return !(last?.status === 'INVALID' && last.reason === reason && last.release === release);
  });
  for (let i = 0; i < todo.length; i += MARK_PARALLELISM) {
    await Promise.all(todo.slice(i, i + MARK_PARALLELISM).map(async ({ tenantId, reason }) => {
      const lastResult: TenantResult = { status: 'INVALID', reason, release, at };
      try {
        await clients.dynamo.send(new UpdateItemCommand({
          TableName: tableName,
          Key: marshall({ tenantId }),
          UpdateExpression: 'SET #lastResult = :lastResult',
          ConditionExpression: 'attribute_exists(#tenantId)',
          ExpressionAttributeNames: { '#lastResult': 'lastResult', '#tenantId': 'tenantId' },
          ExpressionAttributeValues: marshall({ ':lastResult': lastResult }, { removeUndefinedValues: true }),
        }));
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }));
  }
}

function s3In(region: string): S3Client {
  let client = clients.regionalS3.get(region);
  if (client === undefined) {
    client = new S3Client({ ...SDK_RETRY, region });
    clients.regionalS3.set(region, client);
  }
  return client;
}

/** Throws, naming release, region, bucket and key, when the template is not in the region's store. */
async function requireTemplate(release: Release, region: string, config: PlannerConfig): Promise<void> {
  const { bucket, key } = templateLocation(release, region, config);
  try {
    await s3In(region).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    const name = (error as Error).name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket' || status === 404) {
      throw new Error(`release ${release.version}: the template is missing in ${region}: s3://${bucket}/${key} does not exist; upload it to the artifact store of every tenant region before the rollout`);
    }
    throw new Error(`release ${release.version}: cannot check the template in ${region} (s3://${bucket}/${key}): ${name}: ${(error as Error).message}`);
  }
}

/**
 * The rollout state machine stores the release's parameters as a JSON string
 * (JSONPath cannot turn an open map into DynamoDB JSON); a map is read as is.
 */
function releaseParameters(stored: unknown): Record<string, string> | undefined {
  if (typeof stored !== 'string') return stored as Record<string, string> | undefined;
  try {
    return JSON.parse(stored);
  } catch {
    throw new Error(`the registry's ${RELEASE_ITEM_ID} item has parameters that are not JSON: ${stored.slice(0, 200)}`);
  }
}
