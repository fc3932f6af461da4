import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantArtifactFolders } from './private/artifact-folder-grants';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { DeploymentContract } from '../shared/deployment-contract';
import { addNagSuppressions, ANY_PARTITION, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { ASSETS_PREFIX, IMAGE_ASSETS_REPOSITORY } from '../shared/naming';
import { acknowledgeTemplateValidation } from '../shared/template-validation';
import { Problem } from '../shared/validation';

/** The cdk-assets release the publish step runs unless told otherwise (npm `cdk-assets`, maintained in aws/aws-cdk-cli). */
export const DEFAULT_CDK_ASSETS_VERSION = '4.7.3';

/**
 * How a {@link CrossAccountPipeline} publishes the assets of the CDK
 * application it releases (stacks synthesized with `ContractStackSynthesizer`):
 * an Assets stage after the build runs `cdk-assets publish` once per region
 * of the targets, into the contract's store (`assets/`) and image repository
 * of that region.
 */
export interface AssetPublishingOptions {
  /**
   * The asset manifests in the build output: relative paths, `*` allowed,
   * e.g. `cdk.out/*.assets.json`.
   */
  readonly manifestPaths: string[];
  /**
   * The exact cdk-assets version `npx` runs (pinned: the publish step never
   * takes whatever is newest).
   *
   * @default '4.7.3'
   */
  readonly cdkAssetsVersion?: string;
  /**
   * Publish Docker image assets too: the publish project becomes privileged,
   * builds each image (running its Dockerfile, which is repository code) and
   * pushes it to the contract's `cdkx-<qualifier>/assets` repository of each
   * region. Without it, a manifest that holds an image stops the stage.
   *
   * @default false
   */
  readonly dockerImages?: boolean;
}

/** The manifests a publish run reads, for the commands and the error messages. */
function quotedPaths(paths: readonly string[]): string {
  // Globs stay unquoted so the shell expands them; paths hold no quotes, `$` or spaces (checked).
  return paths.join(' ');
}

/**
 * The commands of one publish run (the region comes from PUBLISH_REGION): refuse
 * manifests whose assets are built by a command (or images, unless allowed),
 * then publish each manifest. File assets are zipped and uploaded by
 * cdk-assets itself, so no repository code runs.
 */
export function publishCommands(options: AssetPublishingOptions): string[] {
  const version = options.cdkAssetsVersion ?? DEFAULT_CDK_ASSETS_VERSION;
  const paths = quotedPaths(options.manifestPaths);
  const images = options.dockerImages ?? false;
  const check = [
    "const fs=require('fs');",
    'for(const f of process.argv.slice(1)){',
    "const m=JSON.parse(fs.readFileSync(f,'utf8'));",
    'const all=[...Object.values(m.files||{}),...Object.values(m.dockerImages||{})];',
    "if(all.some(a=>a.source&&a.source.executable)){console.error(f+': an asset built by a command (source.executable) would run repository code in the publish step');process.exit(1)}",
    ...(images ? [] : ["if(Object.keys(m.dockerImages||{}).length>0){console.error(f+': holds Docker image assets; set assetPublishing.dockerImages to publish them');process.exit(1)}"]),
    '}',
  ].join('');
  return [
    `for m in ${paths}; do test -f "$m" || { echo "asset manifest $m is not in the build output" >&2; exit 1; }; done`,
    `node -e "${check}" ${paths}`,
    'test -n "$PUBLISH_REGION" || { echo "PUBLISH_REGION is not set (the Assets stage sets it per action)" >&2; exit 1; }',
    // cdk-assets publishes env-agnostic assets to its SDK's region: ${AWS::Region} becomes this one.
    `for m in ${paths}; do AWS_REGION="$PUBLISH_REGION" AWS_DEFAULT_REGION="$PUBLISH_REGION" npx --yes cdk-assets@${version} publish --path "$m" || exit 1; done`,
  ];
}

/**
 * The Assets stage: one CodeBuild project, one action per region (the
 * action sets PUBLISH_REGION, the commands give it to cdk-assets as AWS_REGION). Its role is on the contract's
 * pipeline role path, because the store denies writes under `assets/` to
 * every other role (the build runs repository code and must not replace the
 * code tenants run), and it may write nothing else.
 *
 * @internal
 */
export class AssetPublishingStage extends Construct {
  private readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, options: AssetPublishingOptions, props: {
    contract: DeploymentContract; store: IArtifactStore; pipelineRole: iam.IRole; readFolders: string[]; regions: string[];
  }) {
    super(scope, id);
    const { contract } = props;
    const images = options.dockerImages ?? false;
    const role = new iam.Role(this, 'PublishRole', {
      // On the pipeline role path: the store denies writes under assets/ to every other role.
      path: contract.pipelineRolePath,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: `Publishes the assets of ${scope.node.path} to the contract's stores and image repositories`,
    });
    this.project = new codebuild.PipelineProject(this, 'Publish', {
      description: `Publishes the application assets of ${scope.node.path} once per region`,
      role,
      encryptionKey: props.store.encryptionKey,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: images },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: publishCommands(options) } },
      }),
    });
    grantArtifactFolders(this.project, props.store, props.readFolders, { write: false });
    this.grantStores(role, contract, props.regions);
    if (images) this.grantRepositories(role, contract, props.regions);
    props.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      resources: [this.project.projectArn],
    }));
    this.suppressFindings(role, images);
  }

  /** The CodePipeline stage: one publish action per region, in parallel. */
  public render(stageName: string, inputArtifact: string, regions: readonly string[]): codepipeline.CfnPipeline.StageDeclarationProperty {
    return {
      name: stageName,
      actions: regions.map((region) => ({
        name: `Publish-${region}`,
        actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
        configuration: {
          ProjectName: this.project.projectName,
          // The commands run cdk-assets with AWS_REGION set to it (CodeBuild sets AWS_REGION to its own region).
          EnvironmentVariables: JSON.stringify([{ name: 'PUBLISH_REGION', value: region, type: 'PLAINTEXT' }]),
        },
        inputArtifacts: [{ name: inputArtifact }],
        runOrder: 1,
      })),
    };
  }

  /**
   * What cdk-assets does with a file asset: GetBucketLocation (is the bucket
   * there and ours), GetBucketEncryption (KMS: it then names the bucket's
   * default key on the upload, which the store's deny admits), ListObjectsV2
   * with the object key as prefix (already published?), then PutObject,
   * multipart for large files (aws/aws-cdk-cli, packages/@aws-cdk/cdk-assets-lib/lib/private/handlers/files.ts).
   * ListObjectsV2 needs s3:ListBucket, narrowed to the assets prefix with s3:prefix:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
   * An SSE-KMS upload needs kms:GenerateDataKey, and kms:Decrypt when it is multipart:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
   */
  private grantStores(role: iam.Role, contract: DeploymentContract, regions: readonly string[]): void {
    const buckets = regions.map((region) => `arn:${Aws.PARTITION}:s3:::${contract.artifactBucketName(region)}`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'InspectAssetStores',
      actions: ['s3:GetBucketLocation', 's3:GetEncryptionConfiguration'],
      resources: buckets,
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FindPublishedAssets',
      actions: ['s3:ListBucket'],
      resources: buckets,
      conditions: { StringLike: { 's3:prefix': `${ASSETS_PREFIX}*` } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishAssets',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: buckets.map((bucket) => `${bucket}/${ASSETS_PREFIX}*`),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EncryptAssetsThroughS3',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: regions.map((region) => `arn:${Aws.PARTITION}:kms:${region}:${contract.toolingAccount}:key/*`),
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': contract.artifactKeyAliasName },
        'StringEquals': { 'kms:ViaService': regions.map((region) => `s3.${region}.amazonaws.com`) },
      },
    }));
  }

  /**
   * Pushing to the contract's image repository of each region, as cdk-assets
   * does it: DescribeRepositories and DescribeImages (already pushed?), a
   * registry login, then docker push (and pull for cache layers).
   * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
   * GetAuthorizationToken has no resource: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
   */
  private grantRepositories(role: iam.Role, contract: DeploymentContract, regions: readonly string[]): void {
    const name = contract.containerRepositoryName(IMAGE_ASSETS_REPOSITORY);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PushImageAssets',
      actions: [
        'ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer',
      ],
      resources: regions.map((region) => `arn:${Aws.PARTITION}:ecr:${region}:${contract.toolingAccount}:repository/${name}`),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'LogInToRegistries',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    }));
  }

  private suppressFindings(role: iam.Role, images: boolean): void {
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Assets are published under assets/<content hash> of the contract\'s store of each region (the hashes are known only at build time); '
        + 'the store keys are matched by the contract\'s alias and used only through S3; ecr:GetAuthorizationToken has no resource; '
        + 'CodeBuild generates the grants on this project\'s own logs and reports and the KMS actions for the artifact key.',
      appliesTo: [
        ...CODEBUILD_OWN_LOGS_AND_REPORTS,
        'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*',
        { regex: `/^Resource::arn:${ANY_PARTITION}:s3:::[a-z0-9.-]+\\/assets\\/\\*$/` },
        { regex: `/^Resource::arn:${ANY_PARTITION}:kms:[a-z0-9-]+:[0-9]{12}:key\\/\\*$/` },
        ...(images ? ['Resource::*'] : []),
      ],
    }]);
    if (images) {
      addNagSuppressions(this.project, [{
        id: 'AwsSolutions-CB3',
        reason: 'Building Docker image assets needs the Docker daemon, which CodeBuild runs only in privileged mode; the role may only write assets.',
      }]);
    }
    // aws-cdk-lib's template validation (E3050, "role with a Path, use GetAtt Arn") flags the
    // project; its ServiceRole is the role's Fn::GetAtt Arn, path included, as the rule asks.
    acknowledgeTemplateValidation(this.project.node.defaultChild as codebuild.CfnProject, 'E3050',
      'ServiceRole is the publish role\'s Fn::GetAtt Arn, path included, as the rule asks.');
  }
}

/** Manifest paths must be relative paths in the build output; the version an exact one. */
export function assetPublishingProblems(options: AssetPublishingOptions, hasTargets: boolean): Problem[] {
  const problems: Problem[] = [];
  if (options.manifestPaths.length === 0) {
    problems.push({
      property: 'assetPublishing.manifestPaths',
      value: [],
      reason: 'no asset manifest to publish',
      fix: "name the manifests in the build output, e.g. ['cdk.out/*.assets.json']",
    });
  }
  options.manifestPaths.forEach((path, i) => {
    if (Token.isUnresolved(path) || (path.trim() !== '' && !path.startsWith('/') && !path.split('/').includes('..') && /^[A-Za-z0-9._*\/-]+$/.test(path))) return;
    problems.push({
      property: `assetPublishing.manifestPaths[${i}]`,
      value: path,
      reason: 'must be a relative path inside the build output of letters, digits, `.`, `_`, `-`, `/` and `*`, without `..`',
      fix: "use the manifests' path in the build output, e.g. 'cdk.out/*.assets.json'",
    });
  });
  const version = options.cdkAssetsVersion;
  if (version !== undefined && !/^\d+\.\d+\.\d+$/.test(version)) {
    problems.push({
      property: 'assetPublishing.cdkAssetsVersion',
      value: version,
      reason: 'must be an exact version, so that every run publishes with the same cdk-assets',
      fix: `pin a release such as '${DEFAULT_CDK_ASSETS_VERSION}'`,
    });
  }
  if (!hasTargets) {
    problems.push({
      property: 'assetPublishing',
      value: options.manifestPaths,
      reason: 'the pipeline has no target and no fleet rollout, so there is no region to publish to',
      fix: 'add a stage with targets, or drop assetPublishing',
    });
  }
  return problems;
}
