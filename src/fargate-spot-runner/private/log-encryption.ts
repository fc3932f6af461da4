import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { Problem } from '../../shared/validation';

/**
 * What CloudWatch Logs does with a log group's key, named one by one (the
 * documented statement uses `Encrypt*`, `Decrypt*`, `ReEncrypt*`,
 * `GenerateDataKey*`, `Describe*`; key pairs are left out, Logs does not use them).
 */
export const LOGS_KEY_ACTIONS = [
  'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
  'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey',
];

/**
 * The key policy statement's id for the log groups of `scope`: unique per
 * runner, since runners may share a key and a policy's Sids must differ.
 */
export function logsKeyStatementId(scope: IConstruct): string {
  return `CloudWatchLogsEncryptsLogsOf${scope.node.addr.slice(0, 10)}`;
}

/** The ARN CloudWatch Logs puts in the encryption context of a log group (no `:*` suffix). */
export function logGroupArn(scope: IConstruct, logGroupName: string): string {
  return Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * The key policy statement CloudWatch Logs of the stack's region needs before
 * a log group may use a customer managed key, limited by
 * `kms:EncryptionContext:aws:logs:arn` to the named log groups
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * The log groups have fixed names, so the statement names them without
 * referencing them: the log groups reference the key (and so are created after
 * the key and its policy), never the other way round.
 */
export function logsKeyStatement(scope: IConstruct, logGroupNames: readonly string[], sid = logsKeyStatementId(scope)): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    // logs.<region>.amazonaws.com, .amazonaws.com.cn in the China regions.
    principals: [new iam.ServicePrincipal(`logs.${Stack.of(scope).region}.${Stack.of(scope).urlSuffix}`)],
    actions: LOGS_KEY_ACTIONS,
    resources: ['*'],
    conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupNames.map((name) => logGroupArn(scope, name)) } },
  });
}

/** The CloudWatch Logs service principal and log group names, in words for messages (no tokens). */
export function describeLogsGrant(scope: IConstruct, logGroupNames: readonly string[]): string {
  const region = Stack.of(scope).region;
  const principal = `logs.${Token.isUnresolved(region) ? '<region>' : region}.amazonaws.com`;
  return `${principal} for the log groups ${logGroupNames.join(', ')} (condition kms:EncryptionContext:aws:logs:arn, statement ${logsKeyStatementId(scope)})`;
}

/**
 * Adds {@link logsKeyStatement} to the key's policy. False when the key is
 * imported, whose policy this app cannot change.
 */
export function letLogsUseKey(scope: IConstruct, key: kms.IKey, logGroupNames: readonly string[], sid?: string): boolean {
  return key.addToResourcePolicy(logsKeyStatement(scope, logGroupNames, sid)).statementAdded;
}

/** CloudWatch Logs uses keys of the log group's own region only. */
export function logKeyRegionProblems(scope: IConstruct, key: kms.IKey, property: string): Problem[] {
  const keyRegion = key.env.region;
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(keyRegion) || Token.isUnresolved(region) || keyRegion === region) return [];
  return [{
    property,
    value: `${key.node.path} (${keyRegion})`,
    reason: `CloudWatch Logs encrypts a log group only with a key of its own region, ${region}`,
    fix: `give a key of ${region}, or drop ${property}`,
  }];
}
