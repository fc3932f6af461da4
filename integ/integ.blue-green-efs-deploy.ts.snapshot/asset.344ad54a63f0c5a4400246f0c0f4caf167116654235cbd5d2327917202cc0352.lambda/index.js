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
  handler: () => handler,
  retryPolicy: () => retryPolicy
});
module.exports = __toCommonJS(live_color_lambda_exports);
var import_client_codedeploy = require("@aws-sdk/client-codedeploy");
var import_client_ssm = require("@aws-sdk/client-ssm");

// src/blue-green-efs-deploy/release-state.ts
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
function optionalString(obj, key, what) {
  const value = obj[key];
  if (value === void 0 || value === null) {
    return void 0;
  }
  if (typeof value !== "string" || value === "") {
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
function parseLiveState(json) {
  const what = "LIVE parameter";
  const obj = parseObject(json, what);
  if (!isColor(obj.color)) {
    throw new Error(`${what}.color must be "blue" or "green", got ${JSON.stringify(obj.color)}`);
  }
  const releaseId = optionalString(obj, "releaseId", what);
  const lastSettledDeploymentId = optionalString(obj, "lastSettledDeploymentId", what);
  return {
    color: obj.color,
    deploymentId: requiredString(obj, "deploymentId", what),
    ...releaseId !== void 0 ? { releaseId } : {},
    ...lastSettledDeploymentId !== void 0 ? { lastSettledDeploymentId } : {}
  };
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
  return JSON.stringify({
    color: state.color,
    deploymentId: state.deploymentId,
    ...state.releaseId !== void 0 ? { releaseId: state.releaseId } : {},
    ...state.lastSettledDeploymentId !== void 0 ? { lastSettledDeploymentId: state.lastSettledDeploymentId } : {}
  });
}
var SETTLED_STATES = ["SUCCESS", "FAILURE", "STOP"];
function decideAfterDeployment(input) {
  const { live, pending, deploymentId, state } = input;
  const unchanged = (reason) => ({ next: live, changed: false, reason });
  if (!SETTLED_STATES.includes(state)) {
    return unchanged(`state ${state} of ${deploymentId} does not settle a deployment`);
  }
  if (deploymentId === live.lastSettledDeploymentId || deploymentId === live.deploymentId) {
    return unchanged(`${deploymentId} was already processed; live stays ${live.color}`);
  }
  const settle = (reason) => {
    const next2 = { ...live, lastSettledDeploymentId: deploymentId };
    return { next: next2, changed: serializeLiveState(next2) !== serializeLiveState(live), reason };
  };
  if (state !== "SUCCESS") {
    return settle(`${deploymentId} ended in ${state}; live stays ${live.color}`);
  }
  if (input.creator !== "user") {
    return settle(`${deploymentId} succeeded but was created by ${input.creator ?? "an unknown creator"}, not a release; live stays ${live.color}`);
  }
  if (input.deploymentType !== "BLUE_GREEN") {
    return settle(`${deploymentId} succeeded but is ${input.deploymentType ?? "of unknown type"}, not BLUE_GREEN; live stays ${live.color}`);
  }
  if (pending.color === "none") {
    return settle(`${deploymentId} succeeded but no release is pending; live stays ${live.color}`);
  }
  if (pending.color === live.color) {
    return settle(`${deploymentId} succeeded but pending ${pending.releaseId} is ${pending.color}, already live; live stays ${live.color}`);
  }
  const next = {
    color: pending.color,
    deploymentId,
    releaseId: pending.releaseId,
    lastSettledDeploymentId: deploymentId
  };
  return { next, changed: true, reason: `${deploymentId} succeeded: live flips ${live.color} -> ${pending.color} (release ${pending.releaseId})` };
}

// src/blue-green-efs-deploy/transient-retry.ts
var TRANSIENT_ERROR_NAMES = /* @__PURE__ */ new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
  "TooManyUpdates",
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "InternalServiceError",
  "ServiceUnavailable",
  "ServiceUnavailableException"
]);
function isTransientError(error) {
  if (typeof error !== "object" || error === null) {
    return false;
  }
  const { name, $metadata } = error;
  if (typeof name === "string" && TRANSIENT_ERROR_NAMES.has(name)) {
    return true;
  }
  const status = $metadata?.httpStatusCode;
  return typeof status === "number" && (status === 429 || status >= 500);
}
function backoffDelayMs(attempt, options, random = Math.random) {
  const cap = options.maxDelayMs ?? 2e4;
  const exponential = Math.min(cap, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
var realSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function withTransientRetry(fn, options) {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new Error(`attempts must be a positive integer, got ${options.attempts}`);
  }
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || !isTransientError(error)) {
        throw error;
      }
      await sleep(backoffDelayMs(attempt, options, random));
    }
  }
}

// src/blue-green-efs-deploy/live-color.lambda.ts
var codeDeploy = new import_client_codedeploy.CodeDeployClient({});
var ssm = new import_client_ssm.SSMClient({});
var retryPolicy = {
  attempts: 6,
  baseDelayMs: 500
};
function env(name) {
  const value = process.env[name];
  if (value === void 0 || value === "") {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
}
function call(fn) {
  return withTransientRetry(fn, retryPolicy);
}
async function readParameter(name) {
  const out = await call(() => ssm.send(new import_client_ssm.GetParameterCommand({ Name: name })));
  const value = out.Parameter?.Value;
  if (value === void 0) {
    throw new Error(`SSM parameter ${name} has no value`);
  }
  return value;
}
function finish(result) {
  console.log(JSON.stringify(result));
  return result;
}
async function handler(event) {
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
  const deployment = (await call(() => codeDeploy.send(new import_client_codedeploy.GetDeploymentCommand({ deploymentId: detail.deploymentId })))).deploymentInfo;
  const [liveValue, pendingValue] = await Promise.all([readParameter(liveName), readParameter(pendingName)]);
  const live = parseLiveState(liveValue);
  const decision = decideAfterDeployment({
    live,
    pending: parsePendingRelease(pendingValue),
    deploymentId: detail.deploymentId,
    state: detail.state,
    creator: deployment?.creator,
    deploymentType: deployment?.deploymentStyle?.deploymentType
  });
  const next = serializeLiveState(decision.next);
  if (decision.changed) {
    await call(() => ssm.send(new import_client_ssm.PutParameterCommand({ Name: liveName, Value: next, Type: "String", Overwrite: true })));
  }
  return finish({ written: decision.changed, reason: decision.reason, live: next });
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler,
  retryPolicy
});
