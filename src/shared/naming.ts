/**
 * Physical names both sides of a cross-account relation compute on their own,
 * so the tooling stacks and the tenant stacks never need cross-stack references
 * and can deploy in any order. Pure string arithmetic; no CDK imports.
 */

/** Every name starts with this, so a reader of an account's IAM console knows who made it. */
export const NAME_PREFIX = 'cdkx';

/** Longest region code in use (ap-southeast-2 and friends), for worst-case length checks. */
export const LONGEST_REGION = 'ap-southeast-2';

export const IAM_ROLE_NAME_LIMIT = 64;
export const S3_BUCKET_NAME_LIMIT = 63;
export const KMS_ALIAS_NAME_LIMIT = 256;
export const IAM_PATH_LIMIT = 512;

export const QUALIFIER_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function actionRoleName(qualifier: string): string {
  return `${NAME_PREFIX}-${qualifier}-deploy-action`;
}

export function executionRoleName(qualifier: string): string {
  return `${NAME_PREFIX}-${qualifier}-cfn-exec`;
}

/**
 * Role of the EC2 or on-premises instances a CodeDeploy in-place deployment
 * reaches: their CodeDeploy agent downloads the revision from the artifact
 * store with its credentials, so the store admits this name.
 */
export function codeDeployInstanceRoleName(qualifier: string): string {
  return `${NAME_PREFIX}-${qualifier}-codedeploy-instance`;
}

/** IAM path of every tooling-account role allowed to assume the tenant action roles. */
export function pipelineRolePath(qualifier: string): string {
  return `/${NAME_PREFIX}-${qualifier}/`;
}

/**
 * IAM path of the tooling-account roles that run one target account's deploy
 * commands (CodeBuild deployments). The account closes the path, so a target's
 * action role can admit the deployers of its own account only; the `_`
 * cannot occur in a qualifier, so no contract's pipeline role path is a prefix
 * of it and no pipeline path pattern matches a deployer.
 */
export function deployerRolePath(qualifier: string, targetAccount: string): string {
  return `/${NAME_PREFIX}-${qualifier}_deployer/${targetAccount}/`;
}

export function artifactBucketName(qualifier: string, toolingAccount: string, region: string): string {
  return `${NAME_PREFIX}-${qualifier}-artifacts-${toolingAccount}-${region}`;
}

/** Bucket name with `*` for the region: matches the store of every region. */
export function artifactBucketNamePattern(qualifier: string, toolingAccount: string): string {
  return artifactBucketName(qualifier, toolingAccount, '*');
}

/** The object a pipeline writes into a release inbox; its new versions start the web tier's release. */
export const RELEASE_INBOX_OBJECT_KEY = 'release.zip';

/** Bucket in a target account where the pipeline drops releases for a BlueGreenEfsDeploy there. */
export function releaseInboxBucketName(qualifier: string, targetAccount: string, region: string): string {
  return `${NAME_PREFIX}-${qualifier}-releases-${targetAccount}-${region}`;
}

/** Prefix of the store objects a CDK application's file assets are published to (content-hashed keys). */
export const ASSETS_PREFIX = 'assets/';

/**
 * Name of a contract's container repository in the tooling account (the same
 * name in every region). `cdkx-<qualifier>/assets` holds a CDK application's image assets.
 */
export function containerRepositoryName(qualifier: string, name: string): string {
  return `${NAME_PREFIX}-${qualifier}/${name}`;
}

/** The repository a CDK application's image assets are published to. */
export const IMAGE_ASSETS_REPOSITORY = 'assets';

export function artifactKeyAliasName(qualifier: string): string {
  return `alias/${NAME_PREFIX}-${qualifier}-artifacts`;
}

export function defaultStackNamePrefix(qualifier: string): string {
  return `${qualifier}-`;
}
