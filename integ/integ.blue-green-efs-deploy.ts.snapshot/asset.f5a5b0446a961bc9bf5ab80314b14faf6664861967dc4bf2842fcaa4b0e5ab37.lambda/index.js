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

// src/blue-green-efs-deploy/live-color.lambda.ts
var live_color_lambda_exports = {};
__export(live_color_lambda_exports, {
  clients: () => clients,
  handleStateChange: () => handleStateChange,
  handler: () => handler
});
module.exports = __toCommonJS(live_color_lambda_exports);
var import_client_codedeploy = require("@aws-sdk/client-codedeploy");
var import_client_ssm = require("@aws-sdk/client-ssm");

// src/blue-green-efs-deploy/release-state.ts
var import_crypto = require("crypto");
var MAX_SETTLED_DEPLOYMENT_IDS = 20;
var MAX_REVISION_COLORS = 10;
function isColor(value) {
  return value === "blue" || value === "green";
}
function parseObject(json, what) {
  let value;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new Error(`${what} is not valid JSON (${e.message}): ${JSON.stringify(json)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object, got: ${JSON.stringify(json)}`);
  }
  return value;
}
function isNonEmptyString(value) {
  return typeof value === "string" && value !== "";
}
function optionalString(obj, key, what) {
  const value = obj[key];
  if (value === void 0 || value === null) {
    return void 0;
  }
  if (!isNonEmptyString(value)) {
    throw new Error(`${what}.${key} must be a non-empty string when present, got ${JSON.stringify(value)}`);
  }
  return value;
}
function requiredString(obj, key, what) {
  const value = optionalString(obj, key, what);
  if (value === void 0) {
    throw new Error(`${what}.${key} is missing`);
  }
  return value;
}
function optionalTime(obj, key, what) {
  const value = obj[key];
  if (value === void 0 || value === null) {
    return void 0;
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${what}.${key} must be a time in epoch milliseconds when present, got ${JSON.stringify(value)}`);
  }
  return value;
}
function optionalArray(obj, key, what) {
  const value = obj[key];
  if (value === void 0 || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new Error(`${what}.${key} must be an array when present, got ${JSON.stringify(value)}`);
  }
  return value;
}
function appendBounded(items, item, max, same) {
  return [...(items ?? []).filter((existing) => !same(existing, item)), item].slice(-max);
}
function settledIdsOf(obj, what) {
  const key = "settledDeploymentIds";
  let ids = [];
  for (const id of optionalArray(obj, key, what)) {
    if (!isNonEmptyString(id)) {
      throw new Error(`${what}.${key} must hold non-empty strings, got ${JSON.stringify(id)}`);
    }
    ids = appendBounded(ids, id, MAX_SETTLED_DEPLOYMENT_IDS, (a, b) => a === b);
  }
  return ids;
}
function revisionColorsOf(obj, what) {
  const key = "revisionColors";
  let entries = [];
  for (const entry of optionalArray(obj, key, what)) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isNonEmptyString(entry[0]) || !isColor(entry[1])) {
      throw new Error(`${what}.${key} must hold [revision, "blue"|"green"] pairs, got ${JSON.stringify(entry)}`);
    }
    entries = appendBounded(entries, [entry[0], entry[1]], MAX_REVISION_COLORS, (a, b) => a[0] === b[0]);
  }
  return entries;
}
function parseLiveState(json) {
  const what = "LIVE parameter";
  const obj = parseObject(json, what);
  if (!isColor(obj.color)) {
    throw new Error(`${what}.color must be "blue" or "green", got ${JSON.stringify(obj.color)}`);
  }
  const optional = {
    releaseId: optionalString(obj, "releaseId", what),
    deploymentCreateTime: optionalTime(obj, "deploymentCreateTime", what),
    settledReleaseId: optionalString(obj, "settledReleaseId", what),
    settledByDeploymentId: optionalString(obj, "settledByDeploymentId", what),
    settledRevision: optionalString(obj, "settledRevision", what),
    revisionColors: nonEmpty(revisionColorsOf(obj, what)),
    settledDeploymentIds: nonEmpty(settledIdsOf(obj, what))
  };
  return withoutUndefined({ color: obj.color, deploymentId: requiredString(obj, "deploymentId", what), ...optional });
}
function nonEmpty(items) {
  return items.length > 0 ? items : void 0;
}
function withoutUndefined(value) {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== void 0));
}
function parsePendingRelease(json) {
  const what = "PENDING parameter";
  const obj = parseObject(json, what);
  if (!isColor(obj.color) && obj.color !== "none") {
    throw new Error(`${what}.color must be "blue", "green" or "none", got ${JSON.stringify(obj.color)}`);
  }
  return { color: obj.color, releaseId: requiredString(obj, "releaseId", what) };
}
function serializeLiveState(state) {
  return JSON.stringify(withoutUndefined({
    color: state.color,
    deploymentId: state.deploymentId,
    releaseId: state.releaseId,
    deploymentCreateTime: state.deploymentCreateTime,
    settledReleaseId: state.settledReleaseId,
    settledByDeploymentId: state.settledByDeploymentId,
    settledRevision: state.settledRevision,
    revisionColors: state.revisionColors?.length ? state.revisionColors : void 0,
    settledDeploymentIds: state.settledDeploymentIds?.length ? state.settledDeploymentIds : void 0
  }));
}
function revisionFingerprint(revision) {
  let identity;
  const s3 = revision?.s3Location;
  const gitHub = revision?.gitHubLocation;
  if (s3?.bucket && s3.key) {
    identity = `s3\0${s3.bucket}\0${s3.key}`;
  } else if (gitHub?.repository && gitHub.commitId) {
    identity = `github\0${gitHub.repository}\0${gitHub.commitId}`;
  }
  return identity === void 0 ? void 0 : (0, import_crypto.createHash)("sha256").update(identity).digest("hex").slice(0, 12);
}
var SETTLED_STATES = ["SUCCESS", "FAILURE", "STOP"];
function createdBefore(time, reference) {
  return time !== void 0 && reference !== void 0 && time < reference;
}
function decideAfterDeployment(input) {
  const { live, pending, deploymentId, state } = input;
  const unchanged = (reason) => ({ next: live, changed: false, reason });
  if (!SETTLED_STATES.includes(state)) {
    return unchanged(`state ${state} of ${deploymentId} does not settle a deployment`);
  }
  if (deploymentId === live.deploymentId || live.settledDeploymentIds?.includes(deploymentId)) {
    return unchanged(`${deploymentId} was already processed; live stays ${live.color}`);
  }
  const recorded = {
    ...live,
    settledDeploymentIds: appendBounded(live.settledDeploymentIds, deploymentId, MAX_SETTLED_DEPLOYMENT_IDS, (a, b) => a === b)
  };
  const settle = (reason, changes2 = {}) => {
    const next2 = withoutUndefined({ ...recorded, ...changes2 });
    return { next: next2, changed: serializeLiveState(next2) !== serializeLiveState(live), reason };
  };
  const outcome = state === "SUCCESS" ? "succeeded" : `ended in ${state}`;
  const stays = `live stays ${live.color}`;
  if (input.creator !== "user") {
    return settle(`${deploymentId} ${outcome} but was created by ${input.creator ?? "an unknown creator"}, not a release; ${stays}`);
  }
  if (input.deploymentType !== "BLUE_GREEN") {
    return settle(`${deploymentId} ${outcome} but is ${input.deploymentType ?? "of unknown type"}, not BLUE_GREEN; ${stays}`);
  }
  if (createdBefore(input.createTime, live.deploymentCreateTime)) {
    return settle(`${deploymentId} ${outcome} but was created before ${live.deploymentId}, which made ${live.color} live: a late event; ${stays}`);
  }
  let color;
  let releaseId;
  let what;
  let changes = {};
  const known = input.revision === void 0 ? void 0 : live.revisionColors?.find(([revision]) => revision === input.revision);
  if (known !== void 0) {
    color = known[1];
    releaseId = known[0] === live.settledRevision ? live.settledReleaseId : void 0;
    what = `redeploys revision ${known[0]} (${color}${releaseId !== void 0 ? `, release ${releaseId}` : ""})`;
  } else {
    if (pending.color === "none") {
      return settle(`${deploymentId} ${outcome} but no release is pending; ${stays}`);
    }
    if (pending.releaseId === live.settledReleaseId) {
      const settledBy = live.settledByDeploymentId ?? "an earlier deployment";
      return settle(`${deploymentId} ${outcome} but the pending release ${pending.releaseId} was already settled by deployment ${settledBy}, and ${deploymentId} deploys ${input.revision !== void 0 ? `revision ${input.revision}, whose color is not known` : "an unidentified revision"}; ${stays}`);
    }
    if (createdBefore(input.createTime, input.pendingPublishedAt)) {
      return settle(`${deploymentId} ${outcome} but was created before the pending release ${pending.releaseId} was published, so it does not deploy it; ${stays}`);
    }
    color = pending.color;
    releaseId = pending.releaseId;
    what = `deploys the pending release ${pending.releaseId} (${color})`;
    changes = {
      settledReleaseId: pending.releaseId,
      settledByDeploymentId: deploymentId,
      settledRevision: input.revision,
      ...input.revision !== void 0 ? { revisionColors: appendBounded(live.revisionColors, [input.revision, color], MAX_REVISION_COLORS, (a, b) => a[0] === b[0]) } : {}
    };
  }
  if (state !== "SUCCESS") {
    return settle(`${deploymentId} ${what} and ended in ${state}; ${stays}`, changes);
  }
  if (color === live.color) {
    return settle(`${deploymentId} succeeded and ${what}, already live; ${stays}`, changes);
  }
  const next = {
    ...recorded,
    ...changes,
    color,
    deploymentId,
    releaseId,
    deploymentCreateTime: input.createTime
  };
  return { next: withoutUndefined(next), changed: true, reason: `${deploymentId} succeeded and ${what}: live flips ${live.color} -> ${color}` };
}

// src/blue-green-efs-deploy/sdk-retry.ts
var HANDLER_SDK_RETRY = {
  maxAttempts: 6,
  retryMode: "adaptive"
};

// src/blue-green-efs-deploy/live-color.lambda.ts
var clients = {
  codeDeploy: new import_client_codedeploy.CodeDeployClient(HANDLER_SDK_RETRY),
  ssm: new import_client_ssm.SSMClient(HANDLER_SDK_RETRY)
};
var { codeDeploy, ssm } = clients;
function env(name) {
  const value = process.env[name];
  if (value === void 0 || value === "") {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
}
async function readParameter(name) {
  const out = await ssm.send(new import_client_ssm.GetParameterCommand({ Name: name }));
  const value = out.Parameter?.Value;
  if (value === void 0) {
    throw new Error(`SSM parameter ${name} has no value`);
  }
  return { value, modifiedAt: out.Parameter?.LastModifiedDate?.getTime() };
}
function finish(result) {
  console.log(JSON.stringify(result));
  return result;
}
async function handler(event) {
  if (!("Records" in event)) return [await handleStateChange(event)];
  const results = [];
  for (const record of event.Records) {
    results.push(await handleStateChange(JSON.parse(record.body)));
  }
  return results;
}
async function handleStateChange(event) {
  const liveName = env("LIVE_PARAMETER_NAME");
  const pendingName = env("PENDING_PARAMETER_NAME");
  const applicationName = env("APPLICATION_NAME");
  const groupName = env("DEPLOYMENT_GROUP_NAME");
  const detail = event.detail;
  if (detail?.application !== applicationName || detail?.deploymentGroup !== groupName) {
    return finish({ written: false, reason: `ignored: event for ${detail?.application}/${detail?.deploymentGroup}, not ${applicationName}/${groupName}` });
  }
  if (!SETTLED_STATES.includes(detail.state)) {
    return finish({ written: false, reason: `ignored: state ${detail.state} of ${detail.deploymentId}` });
  }
  const deployment = (await codeDeploy.send(new import_client_codedeploy.GetDeploymentCommand({ deploymentId: detail.deploymentId }))).deploymentInfo;
  const [liveValue, pendingValue] = await Promise.all([readParameter(liveName), readParameter(pendingName)]);
  const live = parseLiveState(liveValue.value);
  const decision = decideAfterDeployment({
    live,
    pending: parsePendingRelease(pendingValue.value),
    // When the sync build published: a deployment created earlier cannot deploy that release.
    pendingPublishedAt: pendingValue.modifiedAt,
    deploymentId: detail.deploymentId,
    state: detail.state,
    creator: deployment?.creator,
    deploymentType: deployment?.deploymentStyle?.deploymentType,
    createTime: deployment?.createTime?.getTime(),
    revision: revisionFingerprint(deployment?.revision)
  });
  const next = serializeLiveState(decision.next);
  if (decision.changed) {
    await ssm.send(new import_client_ssm.PutParameterCommand({ Name: liveName, Value: next, Type: "String", Overwrite: true }));
  }
  return finish({ written: decision.changed, reason: decision.reason, live: next });
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  clients,
  handleStateChange,
  handler
});
