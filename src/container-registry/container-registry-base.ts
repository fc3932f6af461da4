import { Resource, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IContainerRegistry } from './container-registry';
import { AUTHORIZATION_TOKEN_ACTION, PULL_ACTIONS, PUSH_ACTIONS } from './repository-access';
import { DeploymentContract } from '../shared/deployment-contract';
import { addNagSuppressions } from '../shared/nag-suppressions';
import { throwIfProblems } from '../shared/validation';

/**
 * What an owned `ContainerRegistry` and one imported with
 * `ContainerRegistry.fromAttributes` share: the grants to principals of the
 * registry's account (builds that push, tooling jobs that pull), written once.
 */
export abstract class ContainerRegistryBase extends Resource implements IContainerRegistry {
  /** The deployment contract whose repositories these are. */
  public abstract readonly contract: DeploymentContract;
  /** The region of the registry. */
  public abstract readonly region: string;
  /** The short names of the repositories (`'assets'` for the image-assets repository). */
  public abstract readonly repositoryNames: string[];
  /** The key that encrypts the repositories, when it is known to this app. */
  public abstract readonly encryptionKey?: kms.IKey;

  /** The repository of a short name, e.g. `repository('web')` for `cdkx-<qualifier>/web`. */
  public abstract repository(name: string): ecr.IRepository;

  /**
   * Let a principal of the registry's account push images to every repository
   * of the registry (a CrossAccountPipeline build, a CI role). Nobody else
   * can push: the repository policies only admit pullers.
   */
  public grantPush(grantee: iam.IGrantable): iam.Grant {
    return this.grantImages(grantee, [...PULL_ACTIONS, ...PUSH_ACTIONS], ['kms:Decrypt', 'kms:GenerateDataKey'], 'grantPush');
  }

  /** Let a principal of the registry's account pull images from every repository of the registry. */
  public grantPull(grantee: iam.IGrantable): iam.Grant {
    return this.grantImages(grantee, PULL_ACTIONS, ['kms:Decrypt'], 'grantPull');
  }

  /**
   * Through the principal's identity policy only: the registry's account owns
   * the repositories and the key (whose policy delegates to IAM), so a
   * same-account principal needs no resource policy statement.
   */
  private grantImages(grantee: iam.IGrantable, actions: string[], keyActions: string[], method: string): iam.Grant {
    this.assertSameAccount(grantee, method);
    let grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...new Set(actions)].sort(),
      resourceArns: this.repositoryNames.map((name) => this.repository(name).repositoryArn),
    });
    allowRegistryLogin(grantee);
    if (this.encryptionKey) {
      // Key use through ECR only, in case ECR uses the caller's credentials for
      // the layers it encrypts (it documents a grant of its own for that).
      grant = grant.combine(iam.Grant.addToPrincipal({
        grantee,
        actions: keyActions,
        resourceArns: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `ecr.${this.region}.amazonaws.com` } },
      }));
    }
    return grant;
  }

  /**
   * Target accounts pull through the repository policies, which admit the
   * contract's roles; an identity grant to a foreign principal would silently
   * do nothing, so refuse it.
   */
  private assertSameAccount(grantee: iam.IGrantable, method: string): void {
    const registryAccount = this.env.account;
    const granteeAccount = grantee.grantPrincipal.principalAccount;
    if (!granteeAccount || Token.isUnresolved(registryAccount) || Token.isUnresolved(granteeAccount)) return;
    if (granteeAccount === registryAccount) return;
    throwIfProblems(this, [{
      property: 'grantee',
      value: granteeAccount,
      reason: `${method} is for principals of the registry's account ${registryAccount}`,
      fix: 'let target accounts pull through the deployment contract (organizationId, readerAccounts or addReaderAccounts) and roles under the image-pull path',
    }]);
  }
}

/** The policy holding the docker login permission, one per role. */
const LOGIN_POLICY_ID = 'EcrAuthorizationToken';

/**
 * docker login (`ecr:GetAuthorizationToken`) is a registry-level action that
 * takes no resource but `*`
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html).
 * A role of this app gets it in a policy of its own, so that the cdk-nag
 * suppression for `Resource::*` covers this one statement and never hides a
 * wildcard someone else adds to the role's default policy.
 */
function allowRegistryLogin(grantee: iam.IGrantable): void {
  const statement = new iam.PolicyStatement({ actions: [AUTHORIZATION_TOKEN_ACTION], resources: ['*'] });
  const role = grantee.grantPrincipal;
  if (!(role instanceof iam.Role)) {
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
    return;
  }
  if (role.node.tryFindChild(LOGIN_POLICY_ID)) return;
  const policy = new iam.Policy(role, LOGIN_POLICY_ID, { statements: [statement] });
  policy.attachToRole(role);
  addNagSuppressions(policy, [{
    id: 'AwsSolutions-IAM5',
    reason: 'ecr:GetAuthorizationToken (docker login) supports only Resource "*"; pushes and pulls are scoped to the registry repositories.',
    appliesTo: ['Resource::*'],
  }]);
}
