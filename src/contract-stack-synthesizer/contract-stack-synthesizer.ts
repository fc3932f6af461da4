import { CliCredentialsStackSynthesizer, DockerImageAssetLocation, DockerImageAssetSource, Stack, Token } from 'aws-cdk-lib';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { ASSETS_PREFIX, IMAGE_ASSETS_REPOSITORY } from '../shared/naming';
import { Problem, throwIfProblems } from '../shared/validation';

/** The region placeholder of asset manifests: the publisher and the template each put their own region there. */
const CURRENT_REGION = '${AWS::Region}';

/**
 * Properties of a {@link ContractStackSynthesizer}.
 */
export interface ContractStackSynthesizerProps {
  /** The deployment contract whose artifact stores and image repository receive the assets. */
  readonly contract: DeploymentContract;
}

/**
 * A stack synthesizer for the application stacks a contract's pipelines
 * deploy: their file assets (Lambda code, templates) go to the contract's
 * artifact store of the stack's region, under `assets/`, and their image
 * assets to the contract's repository `cdkx-<qualifier>/assets` of the
 * tooling account in that region. The tenant accounts need no `cdk bootstrap`:
 * the template carries no bootstrap version parameter or rule and names no
 * bootstrap role or bucket.
 *
 * An environment-agnostic stack (one template for many tenants and regions)
 * names the store and the image with `${AWS::Region}`, so the same template
 * reads the store of whichever region it is deployed to; publish its assets
 * once per region (the pipeline's `assetPublishing`). An environment-specific
 * stack gets literal names.
 *
 * It is aws-cdk-lib's `CliCredentialsStackSynthesizer` pointed at the
 * contract's names, with image URIs that name the tooling account (where the
 * repository is) instead of the account the stack deploys to.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { ContractStackSynthesizer, DeploymentContract } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * // One template for every tenant: no env, so the assets are found in the region it is deployed to.
 * new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) });
 * app.synth();
 */
export class ContractStackSynthesizer extends CliCredentialsStackSynthesizer {
  /** The contract whose store and repository hold the assets. */
  public readonly contract: DeploymentContract;

  constructor(props: ContractStackSynthesizerProps) {
    super({
      // A token account is refused in bind() with its fix; the base class would refuse it here without one.
      fileAssetsBucketName: Token.isUnresolved(props.contract.toolingAccount)
        ? 'unresolved-tooling-account'
        : props.contract.artifactBucketName(CURRENT_REGION),
      bucketPrefix: ASSETS_PREFIX,
      imageAssetsRepositoryName: props.contract.containerRepositoryName(IMAGE_ASSETS_REPOSITORY),
      dockerTagPrefix: '',
      qualifier: props.contract.qualifier,
    });
    this.contract = props.contract;
  }

  public bind(stack: Stack): void {
    throwIfProblems(stack, synthesizerProblems(this.contract));
    super.bind(stack);
  }

  /**
   * The image is in the tooling account's repository of the stack's region;
   * the base class would name the account the stack deploys to.
   */
  public addDockerImageAsset(asset: DockerImageAssetSource): DockerImageAssetLocation {
    const location = super.addDockerImageAsset(asset);
    const stack = this.boundStack;
    return {
      ...location,
      imageUri: `${this.contract.toolingAccount}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${location.repositoryName}:${location.imageTag}`,
    };
  }
}

/** The contract must be valid and its tooling account a literal (asset manifests cannot hold tokens). */
function synthesizerProblems(contract: DeploymentContract): Problem[] {
  if (Token.isUnresolved(contract.toolingAccount)) {
    return [{
      property: 'contract.toolingAccount',
      value: contract.toolingAccount,
      reason: 'the asset manifest names the store and the repository literally, and a token cannot be written there',
      fix: "build the contract with the tooling account's literal 12-digit id",
    }];
  }
  return contractProblems(contract);
}
