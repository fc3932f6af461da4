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

// src/blue-green-efs-deploy/deployment-group.lambda.ts
var deployment_group_lambda_exports = {};
__export(deployment_group_lambda_exports, {
  clients: () => clients,
  deletionWait: () => deletionWait,
  handler: () => handler
});
module.exports = __toCommonJS(deployment_group_lambda_exports);
var import_client_auto_scaling = require("@aws-sdk/client-auto-scaling");
var import_client_codedeploy = require("@aws-sdk/client-codedeploy");

// src/blue-green-efs-deploy/codedeploy-limits.ts
var MAX_BLUE_GREEN_WAIT_MINUTES = 2880;

// src/blue-green-efs-deploy/deployment-group-settings.ts
var DEFAULT_DEPLOYMENT_CONFIG_NAME = "CodeDeployDefault.OneAtATime";
var AUTO_ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"];
function requiredString(props, key) {
  const value = props[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error(`ResourceProperties.${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}
function minutes(props, key, fallback) {
  const value = props[key];
  if (value === void 0 || value === null || value === "") {
    return fallback;
  }
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\d+$/.test(text.trim())) {
    throw new Error(`ResourceProperties.${key} must be a whole number of minutes, got ${JSON.stringify(value)}`);
  }
  const n = Number(text.trim());
  if (n > MAX_BLUE_GREEN_WAIT_MINUTES) {
    throw new Error(`ResourceProperties.${key} must be at most ${MAX_BLUE_GREEN_WAIT_MINUTES} minutes, got ${n}`);
  }
  return n;
}
function stringList(props, key) {
  const value = props[key];
  if (value === void 0 || value === null || value === "") {
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw new Error(`ResourceProperties.${key} must be a list of non-empty strings, got ${JSON.stringify(value)}`);
  }
  return [...new Set(value)];
}
function parseDeploymentGroupProperties(props) {
  const p = props ?? {};
  const autoRollbackEvents = stringList(p, "AutoRollbackEvents");
  const unknownEvents = autoRollbackEvents.filter((e) => !AUTO_ROLLBACK_EVENTS.includes(e));
  if (unknownEvents.length > 0) {
    throw new Error(`ResourceProperties.AutoRollbackEvents has unknown events ${unknownEvents.join(", ")}; allowed: ${AUTO_ROLLBACK_EVENTS.join(", ")}`);
  }
  const deploymentConfigName = p.DeploymentConfigName === void 0 || p.DeploymentConfigName === "" ? DEFAULT_DEPLOYMENT_CONFIG_NAME : requiredString(p, "DeploymentConfigName");
  return {
    applicationName: requiredString(p, "ApplicationName"),
    deploymentGroupName: requiredString(p, "DeploymentGroupName"),
    serviceRoleArn: requiredString(p, "ServiceRoleArn"),
    autoScalingGroupName: requiredString(p, "AutoScalingGroupName"),
    targetGroupName: requiredString(p, "TargetGroupName"),
    deploymentConfigName,
    terminationWaitTimeInMinutes: minutes(p, "TerminationWaitTimeInMinutes", 60),
    deploymentReadyWaitTimeInMinutes: minutes(p, "DeploymentReadyWaitTimeInMinutes", 0),
    alarmNames: stringList(p, "AlarmNames"),
    autoRollbackEvents
  };
}
function sharedSettings(s) {
  return {
    deploymentConfigName: s.deploymentConfigName,
    serviceRoleArn: s.serviceRoleArn,
    deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
    blueGreenDeploymentConfiguration: {
      greenFleetProvisioningOption: { action: "COPY_AUTO_SCALING_GROUP" },
      terminateBlueInstancesOnDeploymentSuccess: {
        action: "TERMINATE",
        terminationWaitTimeInMinutes: s.terminationWaitTimeInMinutes
      },
      // CONTINUE_DEPLOYMENT reroutes at once; a wait only means something with
      // STOP_DEPLOYMENT (reroute by hand within the wait, else the deployment stops).
      deploymentReadyOption: s.deploymentReadyWaitTimeInMinutes === 0 ? { actionOnTimeout: "CONTINUE_DEPLOYMENT", waitTimeInMinutes: 0 } : { actionOnTimeout: "STOP_DEPLOYMENT", waitTimeInMinutes: s.deploymentReadyWaitTimeInMinutes }
    },
    loadBalancerInfo: { targetGroupInfoList: [{ name: s.targetGroupName }] },
    // Sent even when empty so that an update removes alarms and rollback events.
    alarmConfiguration: {
      enabled: s.alarmNames.length > 0,
      ignorePollAlarmFailure: false,
      alarms: s.alarmNames.map((name) => ({ name }))
    },
    autoRollbackConfiguration: {
      enabled: s.autoRollbackEvents.length > 0,
      events: s.autoRollbackEvents
    }
  };
}
function buildCreateInput(s) {
  return {
    applicationName: s.applicationName,
    deploymentGroupName: s.deploymentGroupName,
    autoScalingGroups: [s.autoScalingGroupName],
    ...sharedSettings(s)
  };
}
function buildUpdateInput(s, currentGroupName, currentAutoScalingGroups) {
  return {
    applicationName: s.applicationName,
    currentDeploymentGroupName: currentGroupName,
    ...currentGroupName !== s.deploymentGroupName ? { newDeploymentGroupName: s.deploymentGroupName } : {},
    autoScalingGroups: currentAutoScalingGroups,
    ...sharedSettings(s)
  };
}
function autoScalingGroupNamesOf(info) {
  return (info?.autoScalingGroups ?? []).map((g) => g.name).filter((name) => typeof name === "string" && name !== "");
}
function isCodeDeployCopy(asgName, groupName) {
  const prefix = codeDeployCopyPrefix(groupName);
  return asgName.startsWith(prefix) && /^d-[A-Za-z0-9]+$/.test(asgName.slice(prefix.length));
}
function codeDeployCopyPrefix(groupName) {
  return `CodeDeploy_${groupName}_`;
}

// src/blue-green-efs-deploy/sdk-retry.ts
var HANDLER_SDK_RETRY = {
  maxAttempts: 6,
  retryMode: "adaptive"
};

// src/blue-green-efs-deploy/deployment-group.lambda.ts
var clients = {
  codeDeploy: new import_client_codedeploy.CodeDeployClient(HANDLER_SDK_RETRY),
  autoScaling: new import_client_auto_scaling.AutoScalingClient(HANDLER_SDK_RETRY)
};
var { codeDeploy, autoScaling } = clients;
function log(message) {
  console.log(message);
}
function errorName(error) {
  return typeof error === "object" && error !== null ? error.name : void 0;
}
async function getGroup(applicationName, groupName) {
  try {
    const out = await codeDeploy.send(new import_client_codedeploy.GetDeploymentGroupCommand({
      applicationName,
      deploymentGroupName: groupName
    }));
    return out.deploymentGroupInfo;
  } catch (error) {
    const name = errorName(error);
    if (name === "DeploymentGroupDoesNotExistException" || name === "ApplicationDoesNotExistException") {
      return void 0;
    }
    throw error;
  }
}
function response(groupName, autoScalingGroups) {
  return {
    PhysicalResourceId: groupName,
    Data: { DeploymentGroupName: groupName, AutoScalingGroupNames: autoScalingGroups.join(",") }
  };
}
async function update(settings, currentName, info) {
  const current = autoScalingGroupNamesOf(info);
  const asgs = current.length > 0 ? current : [settings.autoScalingGroupName];
  log(`updating deployment group ${currentName} -> ${settings.deploymentGroupName} on ${asgs.join(",")}`);
  await codeDeploy.send(new import_client_codedeploy.UpdateDeploymentGroupCommand(buildUpdateInput(settings, currentName, asgs)));
  return response(settings.deploymentGroupName, asgs);
}
async function create(settings) {
  try {
    log(`creating deployment group ${settings.deploymentGroupName} on ${settings.autoScalingGroupName}`);
    await codeDeploy.send(new import_client_codedeploy.CreateDeploymentGroupCommand(buildCreateInput(settings)));
    return response(settings.deploymentGroupName, [settings.autoScalingGroupName]);
  } catch (error) {
    if (errorName(error) !== "DeploymentGroupAlreadyExistsException") {
      throw error;
    }
    const info = await getGroup(settings.applicationName, settings.deploymentGroupName);
    if (info === void 0) {
      throw error;
    }
    log(`deployment group ${settings.deploymentGroupName} already exists; updating it instead`);
    return update(settings, settings.deploymentGroupName, info);
  }
}
async function deleteGroup(applicationName, groupName) {
  const info = await getGroup(applicationName, groupName);
  if (info === void 0) {
    log(`deployment group ${groupName} does not exist; nothing to delete`);
    return response(groupName, []);
  }
  const asgs = autoScalingGroupNamesOf(info);
  try {
    await codeDeploy.send(new import_client_codedeploy.DeleteDeploymentGroupCommand({ applicationName, deploymentGroupName: groupName }));
  } catch (error) {
    if (errorName(error) !== "DeploymentGroupDoesNotExistException") {
      throw error;
    }
  }
  const copies = asgs.filter((name) => isCodeDeployCopy(name, groupName));
  for (const asg of copies) {
    await deleteAutoScalingGroup(asg);
  }
  await waitUntilGone(copies);
  log(`deleted deployment group ${groupName} and Auto Scaling groups [${copies.join(",")}]`);
  return response(groupName, copies);
}
var deletionWait = {
  timeoutMs: 12 * 6e4,
  pollMs: 15e3,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
};
async function waitUntilGone(names) {
  if (names.length === 0) return;
  const deadline = deletionWait.now() + deletionWait.timeoutMs;
  for (; ; ) {
    const out = await autoScaling.send(new import_client_auto_scaling.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
    const remaining = (out?.AutoScalingGroups ?? []).map((group) => group.AutoScalingGroupName);
    if (remaining.length === 0) return;
    if (deletionWait.now() >= deadline) {
      throw new Error(`Auto Scaling groups [${remaining.join(",")}] are still being deleted after ${deletionWait.timeoutMs / 6e4} minutes; retry the stack deletion once their instances have terminated`);
    }
    log(`waiting for Auto Scaling groups [${remaining.join(",")}] to finish deleting`);
    await deletionWait.sleep(deletionWait.pollMs);
  }
}
async function deleteAutoScalingGroup(name) {
  try {
    log(`force-deleting Auto Scaling group ${name}`);
    await autoScaling.send(new import_client_auto_scaling.DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
  } catch (error) {
    if (errorName(error) === "ValidationError" && /not found/i.test(error.message ?? "")) {
      log(`Auto Scaling group ${name} is already gone`);
      return;
    }
    throw error;
  }
}
async function handler(event) {
  log(`${event.RequestType} ${event.LogicalResourceId} ${event.RequestType === "Create" ? "" : event.PhysicalResourceId}`);
  switch (event.RequestType) {
    case "Create":
      return create(parseDeploymentGroupProperties(event.ResourceProperties));
    case "Update": {
      const settings = parseDeploymentGroupProperties(event.ResourceProperties);
      const oldApplication = event.OldResourceProperties?.ApplicationName;
      if (oldApplication !== void 0 && oldApplication !== settings.applicationName) {
        throw new Error(`ApplicationName cannot change (${String(oldApplication)} -> ${settings.applicationName}); create a new resource instead`);
      }
      const info = await getGroup(settings.applicationName, event.PhysicalResourceId);
      if (info === void 0) {
        log(`deployment group ${event.PhysicalResourceId} is missing; creating ${settings.deploymentGroupName}`);
        return create(settings);
      }
      return update(settings, event.PhysicalResourceId, info);
    }
    case "Delete": {
      const applicationName = event.ResourceProperties?.ApplicationName;
      if (typeof applicationName !== "string" || applicationName === "") {
        throw new Error("ResourceProperties.ApplicationName is missing");
      }
      return deleteGroup(applicationName, event.PhysicalResourceId);
    }
  }
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  clients,
  deletionWait,
  handler
});
