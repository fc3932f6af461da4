"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/fleet-rollout/planner.lambda.ts
var planner_lambda_exports = {};
__export(planner_lambda_exports, {
  ONBOARDING_RING: () => ONBOARDING_RING,
  clients: () => clients,
  fromItem: () => fromItem,
  handler: () => handler,
  readConfig: () => readConfig
});
module.exports = __toCommonJS(planner_lambda_exports);
var import_client_dynamodb = require("@aws-sdk/client-dynamodb");
var import_client_s3 = require("@aws-sdk/client-s3");
var import_util_dynamodb = require("@aws-sdk/util-dynamodb");

// src/fleet-rollout/fleet-locations.ts
var ENGINE_ITEM_PREFIX = "#";
var LOCK_ITEM_ID = `${ENGINE_ITEM_PREFIX}lock`;
var RELEASE_ITEM_ID = `${ENGINE_ITEM_PREFIX}release`;
var RING_FILES_PREFIX = "rollouts/";
function ringFileKey(executionName, ring) {
  return `${RING_FILES_PREFIX}${executionName}/${ring}.json`;
}

// src/fleet-rollout/ring-plan.ts
var RING_NAME_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
var MAX_BAKE_SECONDS = 31536e3;
var MAX_CONCURRENCY = 1e4;
function ringSpecProblems(path, rings, concurrency, concurrencyProperty = "maxConcurrency") {
  const problems = [];
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    problems.push({
      property: concurrencyProperty,
      value: concurrency,
      reason: `must be a whole number from 1 to ${MAX_CONCURRENCY.toLocaleString("en-US")} (the most child executions a Distributed Map runs in parallel)`,
      fix: "set how many tenants deploy at the same time, for example 50"
    });
  }
  if (rings.length === 0) {
    problems.push({
      property: path,
      value: [],
      reason: "a rollout needs at least one ring, and the last one must take the rest of the tenants",
      fix: "end the rings with { name: 'rest', selector: { kind: 'rest' } }"
    });
    return problems;
  }
  const names = /* @__PURE__ */ new Map();
  const ringNames = /* @__PURE__ */ new Map();
  rings.forEach((ring, i) => {
    const property = `${path}[${i}]`;
    problems.push(...nameProblems(path, i, ring.name, names));
    problems.push(...selectorProblems(path, i, ring, i === rings.length - 1, ringNames));
    problems.push(...toleranceProblems(property, ring));
    problems.push(...bakeProblems(property, ring.bakeSeconds));
  });
  return problems;
}
function nameProblems(path, index, name, seen) {
  const property = `${path}[${index}]`;
  if (typeof name !== "string" || !RING_NAME_PATTERN.test(name)) {
    return [{
      property: `${property}.name`,
      value: name,
      reason: "a ring name holds 1 to 32 letters, digits or '-' (it becomes part of state names and of S3 keys)",
      fix: "use a name such as 'canary' or 'wave-2'"
    }];
  }
  const first = seen.get(name);
  if (first !== void 0) {
    return [{
      property: `${property}.name`,
      value: name,
      reason: `duplicate of ${path}[${first}].name (state names must be unique)`,
      fix: "give each ring its own name"
    }];
  }
  seen.set(name, index);
  return [];
}
function selectorProblems(path, index, ring, last, seenRingNames) {
  const property = `${path}[${index}]`;
  const selector = ring.selector;
  const kind = selector?.kind;
  if (kind === "rest") {
    if (last) return [];
    return [{
      property,
      value: kind,
      reason: "a rest ring takes every tenant left, so rings after it would always be empty; it must be the last ring",
      fix: "move the rest ring to the end, and keep only one"
    }];
  }
  const problems = [];
  if (last) {
    problems.push({
      property,
      value: kind,
      reason: "the last ring must be a rest ring, or tenants that no ring selects would never be deployed",
      fix: "add { name: 'rest', selector: { kind: 'rest' } } as the last ring"
    });
  }
  if (kind === "named") {
    const ringName = selector.ringName;
    if (typeof ringName !== "string" || ringName.length === 0) {
      problems.push({
        property: `${property}.ringName`,
        value: ringName,
        reason: "a named ring selects the tenants whose record has this ring name, so it must be a non-empty string",
        fix: "use the value tenants put in their record's ring attribute, for example 'canary'"
      });
    } else {
      const first = seenRingNames.get(ringName);
      if (first !== void 0) {
        problems.push({
          property: `${property}.ringName`,
          value: ringName,
          reason: `${path}[${first}] already selects the tenants named '${ringName}', so this ring would always be empty`,
          fix: "select each ring name in one ring only"
        });
      } else {
        seenRingNames.set(ringName, index);
      }
    }
  } else if (kind === "count") {
    const count = selector.count;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
      problems.push({
        property: `${property}.count`,
        value: count,
        reason: "must be a whole number of at least 1",
        fix: "set how many tenants the ring takes, for example 5"
      });
    }
  } else if (kind === "percent") {
    const percent = selector.percent;
    if (typeof percent !== "number" || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
      problems.push({
        property: `${property}.percent`,
        value: percent,
        reason: "must be more than 0 and at most 100 (percent of all eligible tenants, rounded up)",
        fix: "use a percentage such as 1 or 10"
      });
    }
  } else {
    problems.push({
      property: `${property}.selector`,
      value: kind,
      reason: "not a ring selector (expected kind 'named', 'count', 'percent' or 'rest')",
      fix: "use { kind: 'named', ringName }, { kind: 'count', count }, { kind: 'percent', percent } or { kind: 'rest' }"
    });
  }
  return problems;
}
function toleranceProblems(property, ring) {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = ring;
  const problems = [];
  if (count !== void 0 && percentage !== void 0) {
    problems.push({
      property: `${property}.toleratedFailurePercentage`,
      value: percentage,
      reason: `given together with toleratedFailureCount (${count}); a ring has one failure threshold`,
      fix: "keep either toleratedFailureCount or toleratedFailurePercentage"
    });
  }
  if (count !== void 0) {
    if (!Number.isInteger(count) || count < 0) {
      problems.push({
        property: `${property}.toleratedFailureCount`,
        value: count,
        reason: "must be a whole number of at least 0",
        fix: "set how many tenants of the ring may fail before the rollout stops, for example 0"
      });
    } else if (ring.selector?.kind === "count" && Number.isInteger(ring.selector.count) && count > ring.selector.count) {
      problems.push({
        property: `${property}.toleratedFailureCount`,
        value: count,
        reason: `more than the ring's ${ring.selector.count} tenants, so the ring could never stop the rollout`,
        fix: `set at most ${ring.selector.count}, or use toleratedFailurePercentage`
      });
    }
  }
  if (percentage !== void 0 && (!Number.isFinite(percentage) || percentage < 0 || percentage > 100)) {
    problems.push({
      property: `${property}.toleratedFailurePercentage`,
      value: percentage,
      reason: "must be from 0 to 100",
      fix: "set the percentage of the ring that may fail before the rollout stops, for example 5"
    });
  }
  return problems;
}
function bakeProblems(property, bakeSeconds) {
  if (Number.isInteger(bakeSeconds) && bakeSeconds >= 0 && bakeSeconds <= MAX_BAKE_SECONDS) return [];
  return [{
    property: `${property}.bakeSeconds`,
    value: bakeSeconds,
    reason: `must be a whole number of seconds from 0 to ${MAX_BAKE_SECONDS.toLocaleString("en-US")} (one year, the longest a Standard execution runs)`,
    fix: "set how long to watch the ring before the next one, for example 3600, or 0 for no bake"
  }];
}
function unknownRingReason(ring, ringNames) {
  return ringNames.length === 0 ? `ring '${ring}' is not one of the named rings: the rollout has none` : `ring '${ring}' is not one of: ${ringNames.join(", ")}`;
}
function namedRingNames(rings) {
  return rings.flatMap((ring) => ring.selector.kind === "named" ? [ring.selector.ringName] : []);
}
function isOnRelease(tenant, release) {
  return tenant.lastRelease === release && tenant.lastResult?.status === "SUCCEEDED";
}
function byTenantId(a, b) {
  return a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0;
}
function assignRings(tenants, rings, release) {
  const ringNames = namedRingNames(rings);
  const named = new Set(ringNames);
  const invalid = [];
  const eligible = [];
  for (const tenant of [...tenants].sort(byTenantId)) {
    if (tenant.ring !== void 0 && !named.has(tenant.ring)) {
      invalid.push({ tenantId: tenant.tenantId, reason: unknownRingReason(tenant.ring, ringNames) });
    } else {
      eligible.push(tenant);
    }
  }
  let remaining = eligible.filter((tenant) => tenant.ring === void 0);
  const members = rings.map((ring) => {
    const selector = ring.selector;
    if (selector.kind === "named") return eligible.filter((tenant) => tenant.ring === selector.ringName);
    return [];
  });
  rings.forEach((ring, i) => {
    const selector = ring.selector;
    if (selector.kind === "named") return;
    const take = selector.kind === "rest" ? remaining.length : Math.min(remaining.length, selector.kind === "count" ? selector.count : percentOf(selector.percent, eligible.length));
    members[i] = remaining.slice(0, take);
    remaining = remaining.slice(take);
  });
  return {
    rings: rings.map((ring, i) => ({
      name: ring.name,
      tenants: members[i].filter((tenant) => !isOnRelease(tenant, release)),
      alreadyOnRelease: members[i].filter((tenant) => isOnRelease(tenant, release))
    })),
    invalid
  };
}
function percentOf(percent, total) {
  return Math.max(0, Math.ceil(percent * total / 100 - 1e-9));
}

// src/shared/naming.ts
var NAME_PREFIX = "cdkx";
function artifactBucketName(qualifier, toolingAccount, region) {
  return `${NAME_PREFIX}-${qualifier}-artifacts-${toolingAccount}-${region}`;
}

// src/fleet-rollout/tenant-record.ts
var TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
var ACCOUNT_PATTERN = /^\d{12}$/;
var PARAMETER_KEY_PATTERN = /^[A-Za-z0-9]{1,255}$/;
var PARAMETER_VALUE_LIMIT = 4096;
var PARAMETER_COUNT_LIMIT = 200;
var STACK_NAME_LIMIT = 128;
var PARAMETERS_BYTES_LIMIT = 65536;
var STACK_NAME_PATTERN = /^[A-Za-z][-A-Za-z0-9]*$/;
var UNKNOWN_TENANT_ID = "(unknown)";
function isSpecialItem(item) {
  return isObject(item) && typeof item.tenantId === "string" && item.tenantId.startsWith(ENGINE_ITEM_PREFIX);
}
function stackNameFor(record, prefix, applicationName) {
  const base = `${prefix}${applicationName}`;
  return record.model === "pool" ? `${base}-${record.tenantId}` : base;
}
function validateTenantRecords(records, options) {
  const candidates = [];
  const invalid = [];
  const inactive = [];
  records.forEach((item, index) => {
    if (isSpecialItem(item)) return;
    if (!isObject(item) || typeof item.tenantId !== "string") {
      invalid.push({
        tenantId: UNKNOWN_TENANT_ID,
        index,
        reason: `record ${index} ${isObject(item) ? "has no string tenantId" : "is not an object"}`
      });
      return;
    }
    const status = item.status;
    if (status === "suspended" || status === "retired") {
      inactive.push({ tenantId: item.tenantId, status });
      return;
    }
    candidates.push(checkRecord(item, options));
  });
  addDuplicateSiloAccounts(candidates);
  const valid = [];
  for (const { record, reasons } of candidates) {
    if (reasons.length === 0) valid.push(record);
    else invalid.push({ tenantId: record.tenantId, reason: reasons.join("; ") });
  }
  return { valid, invalid, inactive };
}
function checkRecord(item, options) {
  const reasons = [];
  const tenantId = item.tenantId;
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    reasons.push(`tenantId '${tenantId}' must be 1 to 63 letters, digits or '-', starting with a letter or digit`);
  }
  const { account, region, ring, status } = item;
  if (typeof account !== "string" || !ACCOUNT_PATTERN.test(account)) {
    reasons.push(`account ${JSON.stringify(account)} is not a 12-digit AWS account id`);
  }
  if (typeof region !== "string" || !options.regions.includes(region)) {
    const served = options.regions.length === 0 ? "none" : options.regions.join(", ");
    reasons.push(`region ${JSON.stringify(region)} is not served by this rollout (it deploys to ${served} only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region`);
  }
  const model = item.model ?? "silo";
  if (model !== "silo" && model !== "pool") {
    reasons.push(`model ${JSON.stringify(model)} must be 'silo' or 'pool'`);
  }
  if (status !== "active") {
    reasons.push(`status ${JSON.stringify(status)} must be 'active', 'suspended' or 'retired'`);
  }
  if (ring !== void 0 && (typeof ring !== "string" || !options.ringNames.includes(ring))) {
    reasons.push(typeof ring === "string" ? unknownRingReason(ring, options.ringNames) : `ring ${JSON.stringify(ring)} must be a string`);
  }
  reasons.push(...parameterReasons(item.parameters));
  const stackName = stackNameFor({ tenantId, model }, options.stackNamePrefix, options.applicationName);
  if (stackName.length > STACK_NAME_LIMIT) {
    reasons.push(`stack name '${stackName}' is ${stackName.length} characters, over CloudFormation's limit of ${STACK_NAME_LIMIT}`);
  } else if (!STACK_NAME_PATTERN.test(stackName)) {
    reasons.push(`stack name '${stackName}' must start with a letter and hold only letters, digits and '-'`);
  }
  const record = {
    tenantId,
    account,
    region,
    ...typeof ring === "string" ? { ring } : {},
    model,
    parameters: isObject(item.parameters) ? item.parameters : {},
    status: "active",
    ...typeof item.lastRelease === "string" ? { lastRelease: item.lastRelease } : {},
    ...isObject(item.lastResult) ? { lastResult: item.lastResult } : {}
  };
  return { record, reasons, active: status === "active" };
}
function parameterReasons(parameters, what = "parameters") {
  if (parameters === void 0) return [];
  if (!isObject(parameters)) return [`${what} must be a map of strings to strings`];
  const reasons = [];
  const entries = Object.entries(parameters);
  if (entries.length > PARAMETER_COUNT_LIMIT) {
    reasons.push(`${what} has ${entries.length} entries, over CloudFormation's limit of ${PARAMETER_COUNT_LIMIT} parameters`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(parameters), "utf8");
  if (bytes > PARAMETERS_BYTES_LIMIT) {
    reasons.push(`${what} take ${bytes} bytes as JSON, over the ${PARAMETERS_BYTES_LIMIT} a tenant's work item may carry (Step Functions passes at most 256 KiB per item)`);
  }
  for (const [key, value] of entries) {
    if (!PARAMETER_KEY_PATTERN.test(key)) {
      reasons.push(`${what} key '${key}' is not a CloudFormation parameter name (1 to 255 letters or digits)`);
    }
    if (typeof value !== "string") {
      reasons.push(`${what}.${key} must be a string, not ${JSON.stringify(value)}`);
    } else if (value.length > PARAMETER_VALUE_LIMIT) {
      reasons.push(`${what}.${key} is ${value.length} characters, over CloudFormation's limit of ${PARAMETER_VALUE_LIMIT}`);
    }
  }
  return reasons;
}
function addDuplicateSiloAccounts(candidates) {
  const byAccount = /* @__PURE__ */ new Map();
  const counted = candidates.filter(({ active }) => active);
  for (const { record } of counted) {
    if (record.model !== "silo" || typeof record.account !== "string" || !ACCOUNT_PATTERN.test(record.account)) continue;
    byAccount.set(record.account, [...byAccount.get(record.account) ?? [], record.tenantId]);
  }
  for (const { record, reasons } of counted) {
    const sharing = byAccount.get(record.account);
    if (record.model !== "silo" || sharing === void 0 || sharing.length < 2) continue;
    const others = sharing.filter((id) => id !== record.tenantId);
    reasons.push(`account ${record.account} is also the account of active silo tenant ${others.map((id) => `'${id}'`).join(", ")}; a silo account holds one tenant`);
  }
}
var RELEASE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
var S3_KEY_LIMIT = 1024;
function releaseProblems(release) {
  if (!isObject(release)) return ["release must be an object { version, templateKey, parameters? }"];
  const reasons = [];
  const { version, templateKey, parameters } = release;
  if (typeof version !== "string" || !RELEASE_VERSION_PATTERN.test(version)) {
    reasons.push(`release.version ${JSON.stringify(version)} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (typeof templateKey !== "string" || templateKey.length === 0 || templateKey.startsWith("/") || new TextEncoder().encode(templateKey).length > S3_KEY_LIMIT) {
    reasons.push(`release.templateKey ${JSON.stringify(templateKey)} must be an S3 key of 1 to ${S3_KEY_LIMIT} bytes, not starting with '/'`);
  }
  reasons.push(...parameterReasons(parameters, "release.parameters"));
  return reasons;
}
function templateLocation(release, region, context) {
  const bucket = artifactBucketName(context.qualifier, context.toolingAccount, region);
  const path = release.templateKey.split("/").map(encodeURIComponent).join("/");
  return { bucket, key: release.templateKey, url: `https://${bucket}.s3.${region}.${context.urlSuffix}/${path}` };
}
function workItemFor(record, ring, release, context) {
  const merged = { ...release.parameters ?? {}, ...record.parameters };
  const role = (name) => `arn:${context.partition}:iam::${record.account}:role/${name}`;
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
    parameters: Object.keys(merged).sort().map((key) => ({ ParameterKey: key, ParameterValue: merged[key] }))
  };
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// src/fleet-rollout/planner.lambda.ts
var SDK_RETRY = { maxAttempts: 6, retryMode: "adaptive" };
var clients = {
  dynamo: new import_client_dynamodb.DynamoDBClient(SDK_RETRY),
  /** The work bucket is in the Lambda's region. */
  s3: new import_client_s3.S3Client(SDK_RETRY),
  regionalS3: /* @__PURE__ */ new Map()
};
var ONBOARDING_RING = "onboarding";
var MARK_PARALLELISM = 10;
function env(name) {
  const value = process.env[name];
  if (value === void 0 || value === "") throw new Error(`environment variable ${name} is not set`);
  return value;
}
function jsonEnv(name) {
  try {
    return JSON.parse(env(name));
  } catch (error) {
    throw new Error(`environment variable ${name} is not valid JSON: ${error.message}`);
  }
}
function readConfig() {
  const regions = jsonEnv("REGIONS");
  const rings = jsonEnv("RINGS");
  if (!Array.isArray(regions) || !regions.every((region) => typeof region === "string")) {
    throw new Error("environment variable REGIONS must be a JSON array of region codes");
  }
  if (!Array.isArray(rings)) throw new Error("environment variable RINGS must be a JSON array of rings");
  const problems = ringSpecProblems("RINGS", rings, 1);
  if (problems.length > 0) {
    throw new Error(`environment variable RINGS is invalid: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`);
  }
  return {
    tableName: env("TABLE_NAME"),
    workBucket: env("WORK_BUCKET"),
    qualifier: env("QUALIFIER"),
    toolingAccount: env("TOOLING_ACCOUNT"),
    partition: env("PARTITION"),
    urlSuffix: env("URL_SUFFIX"),
    stackNamePrefix: process.env.STACK_NAME_PREFIX ?? "",
    applicationName: env("APPLICATION_NAME"),
    actionRoleName: env("ACTION_ROLE_NAME"),
    executionRoleName: env("EXECUTION_ROLE_NAME"),
    regions,
    rings
  };
}
async function handler(event) {
  const config = readConfig();
  if (event?.mode === "rollout") return planRollout(event, config);
  if (event?.mode === "onboard") return planOnboarding(event, config);
  throw new Error(`unknown planner mode ${JSON.stringify(event?.mode)}; expected 'rollout' or 'onboard'`);
}
async function planRollout(event, config) {
  const problems = releaseProblems(event.release);
  if (problems.length > 0) throw new Error(`invalid release: ${problems.join("; ")}`);
  if (typeof event.executionName !== "string" || event.executionName === "") {
    throw new Error("executionName is missing: pass $$.Execution.Name");
  }
  const release = event.release;
  const records = await scanAll(config.tableName);
  const checked = validateTenantRecords(records, recordOptions(config));
  const assignment = assignRings(checked.valid, config.rings, release.version);
  const invalid = [...checked.invalid, ...assignment.invalid];
  await markInvalid(config.tableName, invalid, release.version, records);
  const regions = new Set(assignment.rings.flatMap((ring) => ring.tenants.map((tenant) => tenant.region)));
  for (const region of [...regions].sort()) await requireTemplate(release, region, config);
  const rings = [];
  for (const ring of assignment.rings) {
    const items = ring.tenants.map((tenant) => workItemFor(tenant, ring.name, release, config));
    const itemsKey = ringFileKey(event.executionName, ring.name);
    await clients.s3.send(new import_client_s3.PutObjectCommand({
      Bucket: config.workBucket,
      Key: itemsKey,
      Body: JSON.stringify(items),
      ContentType: "application/json"
    }));
    rings.push({ name: ring.name, count: items.length, itemsKey });
  }
  const result = {
    rings,
    total: rings.reduce((sum, ring) => sum + ring.count, 0),
    invalid: invalid.length,
    alreadyOnRelease: assignment.rings.reduce((sum, ring) => sum + ring.alreadyOnRelease.length, 0),
    releaseParameters: JSON.stringify(release.parameters ?? {}),
    inactive: checked.inactive.length
  };
  console.log(JSON.stringify({ release: release.version, ...result, invalidTenants: invalid.slice(0, 50) }));
  return result;
}
async function planOnboarding(event, config) {
  const tenantId = event.tenantId;
  if (typeof tenantId !== "string" || tenantId === "") throw new Error("tenantId is missing from the onboarding input");
  if (tenantId.startsWith("#")) return finish({ deploy: false, reason: `'${tenantId}' is a registry item of the engine, not a tenant` });
  const [tenant, releaseItem] = await Promise.all([getItem(config.tableName, tenantId), getItem(config.tableName, RELEASE_ITEM_ID)]);
  if (tenant === void 0) return finish({ deploy: false, reason: `tenant '${tenantId}' is not in the registry` });
  if (releaseItem === void 0) {
    return finish({ deploy: false, reason: `no release has finished every ring yet; tenant '${tenantId}' gets the first one` });
  }
  const release = {
    version: releaseItem.version,
    templateKey: releaseItem.templateKey,
    parameters: releaseParameters(releaseItem.parameters)
  };
  const problems = releaseProblems(release);
  if (problems.length > 0) throw new Error(`the registry's ${RELEASE_ITEM_ID} item is not a valid release: ${problems.join("; ")}`);
  const sameAccount = typeof tenant.account === "string" ? await scanAll(config.tableName, tenant.account, tenantId) : [];
  const checked = validateTenantRecords([tenant, ...sameAccount], recordOptions(config));
  const ownInvalid = checked.invalid.find((entry) => entry.tenantId === tenantId);
  if (ownInvalid) {
    await markInvalid(config.tableName, [ownInvalid], release.version, [tenant]);
    return finish({ deploy: false, reason: ownInvalid.reason });
  }
  const inactive = checked.inactive.find((entry) => entry.tenantId === tenantId);
  if (inactive) return finish({ deploy: false, reason: `tenant '${tenantId}' is ${inactive.status}` });
  const record = checked.valid.find((entry) => entry.tenantId === tenantId);
  if (isOnRelease(record, release.version)) {
    return finish({ deploy: false, reason: `tenant '${tenantId}' is already on release ${release.version}` });
  }
  await requireTemplate(release, record.region, config);
  return finish({ deploy: true, item: workItemFor(record, record.ring ?? ONBOARDING_RING, release, config) });
}
function finish(result) {
  console.log(JSON.stringify(result));
  return result;
}
function recordOptions(config) {
  return {
    regions: config.regions,
    stackNamePrefix: config.stackNamePrefix,
    applicationName: config.applicationName,
    ringNames: namedRingNames(config.rings)
  };
}
async function scanAll(tableName, account, exceptTenantId) {
  const items = [];
  let startKey;
  do {
    const input = {
      TableName: tableName,
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
      ...account !== void 0 ? {
        FilterExpression: "#account = :account AND #tenantId <> :tenantId",
        ExpressionAttributeNames: { "#account": "account", "#tenantId": "tenantId" },
        ExpressionAttributeValues: (0, import_util_dynamodb.marshall)({ ":account": account, ":tenantId": exceptTenantId ?? "" })
      } : {}
    };
    const page = await clients.dynamo.send(new import_client_dynamodb.ScanCommand(input));
    items.push(...(page.Items ?? []).map(fromItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== void 0);
  return items;
}
async function getItem(tableName, tenantId) {
  const out = await clients.dynamo.send(new import_client_dynamodb.GetItemCommand({ TableName: tableName, Key: (0, import_util_dynamodb.marshall)({ tenantId }), ConsistentRead: true }));
  return out.Item === void 0 ? void 0 : fromItem(out.Item);
}
function fromItem(item) {
  return plain((0, import_util_dynamodb.unmarshall)(item, { wrapNumbers: true }));
}
function isWrappedNumber(value) {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) !== Object.prototype && typeof value.value === "string";
}
function plain(value) {
  if (isWrappedNumber(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Set) return new Set([...value].map(plain));
  if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plain(entry)]));
  }
  return value;
}
async function markInvalid(tableName, invalid, release, records) {
  const current = new Map(records.filter((r) => typeof r?.tenantId === "string").map((r) => [r.tenantId, r]));
  const at = (/* @__PURE__ */ new Date()).toISOString();
  const todo = invalid.filter(({ tenantId, reason }) => {
    if (tenantId === UNKNOWN_TENANT_ID || tenantId === "") return false;
    const last = current.get(tenantId)?.lastResult;
    return !(last?.status === "INVALID" && last.reason === reason && last.release === release);
  });
  for (let i = 0; i < todo.length; i += MARK_PARALLELISM) {
    await Promise.all(todo.slice(i, i + MARK_PARALLELISM).map(async ({ tenantId, reason }) => {
      const lastResult = { status: "INVALID", reason, release, at };
      try {
        await clients.dynamo.send(new import_client_dynamodb.UpdateItemCommand({
          TableName: tableName,
          Key: (0, import_util_dynamodb.marshall)({ tenantId }),
          UpdateExpression: "SET #lastResult = :lastResult",
          ConditionExpression: "attribute_exists(#tenantId)",
          ExpressionAttributeNames: { "#lastResult": "lastResult", "#tenantId": "tenantId" },
          ExpressionAttributeValues: (0, import_util_dynamodb.marshall)({ ":lastResult": lastResult }, { removeUndefinedValues: true })
        }));
      } catch (error) {
        if (error.name !== "ConditionalCheckFailedException") throw error;
      }
    }));
  }
}
function s3In(region) {
  let client = clients.regionalS3.get(region);
  if (client === void 0) {
    client = new import_client_s3.S3Client({ ...SDK_RETRY, region });
    clients.regionalS3.set(region, client);
  }
  return client;
}
async function requireTemplate(release, region, config) {
  const { bucket, key } = templateLocation(release, region, config);
  try {
    await s3In(region).send(new import_client_s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    const name = error.name;
    const status = error.$metadata?.httpStatusCode;
    if (name === "NotFound" || name === "NoSuchKey" || name === "NoSuchBucket" || status === 404) {
      throw new Error(`release ${release.version}: the template is missing in ${region}: s3://${bucket}/${key} does not exist; upload it to the artifact store of every tenant region before the rollout`);
    }
    throw new Error(`release ${release.version}: cannot check the template in ${region} (s3://${bucket}/${key}): ${name}: ${error.message}`);
  }
}
function releaseParameters(stored) {
  if (typeof stored !== "string") return stored;
  try {
    return JSON.parse(stored);
  } catch {
    throw new Error(`the registry's ${RELEASE_ITEM_ID} item has parameters that are not JSON: ${stored.slice(0, 200)}`);
  }
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  ONBOARDING_RING,
  clients,
  fromItem,
  handler,
  readConfig
});
