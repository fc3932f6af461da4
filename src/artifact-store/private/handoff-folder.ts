import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DeploymentContract } from '../../shared/deployment-contract';
import { ASSETS_PREFIX } from '../../shared/naming';

/**
 * The folder of the artifact store where a pipeline hands the release to the
 * next pipeline of its chain (`handoff/<next pipeline>/release.zip`). A new
 * object there starts that pipeline, past the stages and approvals before it,
 * so only pipeline roles may write it.
 */
export const HANDOFF_FOLDER = 'handoff';

/**
 * The folder where a pipeline publishes the templates its fleet rollout
 * deploys (`fleet-releases/<version>/template.json`). Onboarding deploys the
 * last release from there long after the pipeline ran, so replacing one would
 * ship other code to every new tenant: only pipeline roles may write it.
 */
export const FLEET_RELEASES_FOLDER = 'fleet-releases';

/**
 * The folder where a pipeline publishes the assets of the CDK application it
 * releases (`assets/<content hash>`: Lambda code, templates). Every tenant
 * runs that code, and a replaced object keeps its key: only pipeline roles
 * (the Assets stage's publish role) may write it.
 */
export const ASSETS_FOLDER = ASSETS_PREFIX.replace(/\/$/, '');

/**
 * Denies every write that could put, replace or roll back a handoff, a fleet
 * release or an application asset to any
 * principal whose role is not on the contract's pipeline path: builds and
 * deploy projects (which run repository code) and any other principal of the
 * tooling account, however broad its own policy. An explicit deny in the
 * bucket policy wins over any allow, same account or not:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * For a role session aws:PrincipalArn is the role's ARN, path included; a
 * request without it (a service, an anonymous caller) is denied too:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 *
 * s3:PutObject also covers copies and multipart uploads into the folder;
 * deleting the newest version of a handoff makes an older release current.
 *
 * @param deletes deny deletes too; off only for sandboxes that empty the
 *   bucket on stack deletion (the emptying function's role is not a pipeline role)
 */
export function onlyPipelineRolesWriteHandoffs(bucket: s3.IBucket, contract: DeploymentContract, deletes: boolean): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'OnlyPipelineRolesWriteHandoffs',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:PutObject', 's3:ReplicateObject', ...(deletes ? ['s3:DeleteObject', 's3:DeleteObjectVersion'] : [])],
    resources: [HANDOFF_FOLDER, FLEET_RELEASES_FOLDER, ASSETS_FOLDER].map((folder) => bucket.arnForObjects(`${folder}/*`)),
    conditions: { ArnNotLike: { 'aws:PrincipalArn': contract.pipelineRoleArnPattern() } },
  });
}
