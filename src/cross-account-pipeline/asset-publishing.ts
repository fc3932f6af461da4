import * as path from 'path';
import { Annotations, Aws, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Manifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { Construct } from 'constructs';
import { grantArtifactFolders } from './private/artifact-folder-grants';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { DeploymentContract } from '../shared/deployment-contract';
import { addNagSuppressions, ANY_PARTITION, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { ASSETS_PREFIX, IMAGE_ASSETS_REPOSITORY } from '../shared/naming';
import { acknowledgeTemplateValidation } from '../shared/template-validation';
import { Problem } from '../shared/validation';
import {
  AssetPublishCommandOptions, DEFAULT_CDK_ASSETS_LIB_VERSION, DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION, publishCommands, schemaReads,
} from './private/asset-publish-commands';

/**
 * How a {@link CrossAccountPipeline} publishes the assets of the CDK
 * application it releases (stacks synthesized with `ContractStackSynthesizer`):
 * an Assets stage after the build runs the CDK asset publisher
 * (`@aws-cdk/cdk-assets-lib`) once per region of the targets, into the
 * contract's store (`assets/`) and image repository of that region.
 */
export interface AssetPublishingOptions {
  /**
   * The asset manifests in the build output: relative paths, `*` allowed,
   * e.g. `cdk.out/*.assets.json`.
   */
  readonly manifestPaths: string[];
  /**
   * The exact `@aws-cdk/cdk-assets-lib` version the publish step installs and
   * runs (pinned: the publish step never takes whatever is newest). It is the
   * library the `cdk-assets` tool and the CDK CLI publish with.
   *
   * @default '1.5.0'
   */
  readonly cdkAssetsLibVersion?: string;
  /**
   * The exact `@aws-cdk/cloud-assembly-schema` version the publisher reads the
   * manifests with. It reads manifests up to its own major version, so it must
   * be at least the schema the application's aws-cdk-lib writes (the
   * `version` field of its `*.assets.json`); raise it when an aws-cdk-lib
   * upgrade moves that major version.
   *
   * @default '55.6.0' (reads the manifests of aws-cdk-lib up to at least 2.276)
   */
  readonly cloudAssemblySchemaVersion?: string;
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

/** The options with their defaults. */
function commandOptions(options: AssetPublishingOptions): AssetPublishCommandOptions {
  return {
    manifestPaths: options.manifestPaths,
    dockerImages: options.dockerImages ?? false,
    cdkAssetsLibVersion: options.cdkAssetsLibVersion ?? DEFAULT_CDK_ASSETS_LIB_VERSION,
    cloudAssemblySchemaVersion: options.cloudAssemblySchemaVersion ?? DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION,
  };
}

/**
 * The Assets stage: one CodeBuild project, one action per region (the
 * action sets PUBLISH_REGION, the commands give it to the publisher as AWS_REGION). Its role is on the contract's
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
    const settings = commandOptions(options);
    const lock = this.publisherLock(settings);
    const commands = publishCommands({ ...settings, lockedPublisherUrl: lock?.s3ObjectUrl });
    this.warnIfSchemaBehind(settings.cloudAssemblySchemaVersion, Manifest.version());
    const images = settings.dockerImages;
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
        phases: {
          // Named, not left to the image: standard:7.0 also offers Node.js 18, which the AWS SDK v3 the publisher uses no longer supports.
          install: { 'runtime-versions': { nodejs: '20' }, 'commands': commands.install },
          build: { commands: commands.build },
        },
      }),
    });
    grantArtifactFolders(this.project, props.store, props.readFolders, { write: false });
    if (lock) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ReadPublisherLock',
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${lock.s3BucketName}/${lock.s3ObjectKey}`],
      }));
    }
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
          // The commands run the publisher with AWS_REGION set to it (CodeBuild sets AWS_REGION to its own region).
          EnvironmentVariables: JSON.stringify([{ name: 'PUBLISH_REGION', value: region, type: 'PLAINTEXT' }]),
        },
        inputArtifacts: [{ name: inputArtifact }],
        runOrder: 1,
      })),
    };
  }

  /**
   * What the publisher (cdk-assets-lib) does with a file asset: GetBucketLocation (is the bucket
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
   * Pushing to the contract's image repository of each region, as the
   * publisher does it: DescribeRepositories and DescribeImages (already pushed?), a
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

  /**
   * With the default versions, the publisher is installed by `npm ci` from
   * the lock committed next to this file (scripts/update-asset-publisher-lock.sh),
   * shipped as a file asset of this stack: the same tree on every run, each
   * package checked against its integrity hash. Other versions have no lock:
   * a warning says their dependencies resolve at run time.
   */
  private publisherLock(settings: AssetPublishCommandOptions): s3_assets.Asset | undefined {
    const locked = settings.cdkAssetsLibVersion === DEFAULT_CDK_ASSETS_LIB_VERSION
      && settings.cloudAssemblySchemaVersion === DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION;
    if (locked) {
      return new s3_assets.Asset(this, 'PublisherLock', { path: path.join(__dirname, 'asset-publisher') });
    }
    Annotations.of(this).addWarningV2('cdk-cross-account-cicd:assetPublisherUnlocked',
      `assetPublishing: @aws-cdk/cdk-assets-lib@${settings.cdkAssetsLibVersion} with @aws-cdk/cloud-assembly-schema@${settings.cloudAssemblySchemaVersion} `
      + 'is not the locked default pair, so the publish step installs it with npm install and its dependencies (the AWS SDK among them) resolve when the stage runs, '
      + 'without integrity hashes from a lock. Fix: keep the defaults, or acknowledge this warning');
    return undefined;
  }

  /**
   * The released application is usually synthesized with the aws-cdk-lib
   * this pipeline is: if the pinned schema cannot read what it writes, the
   * Assets stage would fail at its first run. A warning, not an error, since
   * the application may use another aws-cdk-lib.
   */
  private warnIfSchemaBehind(readerVersion: string, writerVersion: string): void {
    if (schemaReads(readerVersion, writerVersion)) return;
    Annotations.of(this).addWarningV2('cdk-cross-account-cicd:assetSchemaBehind',
      `assetPublishing.cloudAssemblySchemaVersion = '${readerVersion}': this aws-cdk-lib writes asset manifests of schema ${writerVersion}, `
      + 'which the publish step cannot read. Fix: if the released application uses this aws-cdk-lib, set assetPublishing.cloudAssemblySchemaVersion '
      + `to a ${writerVersion.split('.')[0]}.x release of @aws-cdk/cloud-assembly-schema`);
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
  options.manifestPaths.forEach((manifestPath, i) => {
    if (Token.isUnresolved(manifestPath) || (manifestPath.trim() !== '' && !manifestPath.startsWith('/')
      && !manifestPath.split('/').includes('..') && /^[A-Za-z0-9._*\/-]+$/.test(manifestPath))) return;
    problems.push({
      property: `assetPublishing.manifestPaths[${i}]`,
      value: manifestPath,
      reason: 'must be a relative path inside the build output of letters, digits, `.`, `_`, `-`, `/` and `*`, without `..`',
      fix: "use the manifests' path in the build output, e.g. 'cdk.out/*.assets.json'",
    });
  });
  const pins: Array<[keyof AssetPublishingOptions, string | undefined, string]> = [
    ['cdkAssetsLibVersion', options.cdkAssetsLibVersion, DEFAULT_CDK_ASSETS_LIB_VERSION],
    ['cloudAssemblySchemaVersion', options.cloudAssemblySchemaVersion, DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION],
  ];
  for (const [name, version, example] of pins) {
    if (version === undefined || /^\d+\.\d+\.\d+$/.test(version)) continue;
    problems.push({
      property: `assetPublishing.${name}`,
      value: version,
      reason: 'must be an exact version, so that every run publishes with the same code',
      fix: `pin a release such as '${example}'`,
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
