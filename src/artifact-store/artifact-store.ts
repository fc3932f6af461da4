import { Aws, Duration, IResource, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ArtifactStoreBase } from './artifact-store-base';
import { AccountIdPrincipal } from './private/account-id-principal';
import { onlyPipelineRolesWriteHandoffs } from './private/handoff-folder';
import { TENANT_KEY_READ_ACTIONS, TENANT_OBJECT_READ_ACTIONS } from '../shared/artifact-access';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { PolicyQuota } from '../shared/policy-size';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { PRIVATE_BUCKET_DEFAULTS } from '../shared/private-bucket';
import { isEmptyReaderScope, ReaderScope, readerConditions } from '../shared/reader-conditions';
import { createAccessLogsBucket, logAccessTo } from '../shared/server-access-logs';
import { toolingResourceProblems } from '../shared/tooling-resource-problems';
import { checkAccountList, Problem, throwIfProblems } from '../shared/validation';

/**
 * A store of pipeline artifacts: an S3 bucket and the KMS key that encrypts it.
 */
export interface IArtifactStore extends IResource {
  /** The artifact bucket. */
  readonly bucket: s3.IBucket;
  /** The key that encrypts every artifact. */
  readonly encryptionKey: kms.IKey;
  /**
   * The region of the store; a pipeline takes one store per region it deploys to.
   * A token when the store's stack is environment-agnostic.
   */
  readonly region: string;

  /** Let a principal of the store's account read artifacts. */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /** Let a principal of the store's account read and write artifacts (a pipeline role). */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Properties of an {@link ArtifactStore}.
 */
export interface ArtifactStoreProps {
  /**
   * The deployment contract shared with the tenant roles. Its organization (and
   * OU paths), if any, decides who may read; its role names decide which roles.
   */
  readonly contract: DeploymentContract;

  /**
   * Accounts whose tenant roles may read, for contracts without an organization.
   * Each adds one account id (15 bytes) to the key and bucket policies; use an
   * organization to keep them constant. More can be added with `addReaderAccounts`.
   *
   * @default - none; required (here or through addReaderAccounts) without an organization
   */
  readonly readerAccounts?: string[];

  /**
   * Artifacts older than this are deleted. Pipelines re-create artifacts from
   * source on every run, so old ones are only needed to inspect past runs.
   *
   * @default Duration.days(90)
   */
  readonly artifactExpiration?: Duration;

  /**
   * Overwritten or deleted artifact versions are kept this long.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * What happens to the bucket, the access-log bucket and the key when the stack
   * is deleted. RETAIN keeps the artifacts and the key that decrypts them.
   * DESTROY (for sandboxes) deletes them; the bucket must then be empty, or set
   * `autoDeleteObjects`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets on stack deletion (adds a custom resource). Only with
   * `removalPolicy: RemovalPolicy.DESTROY`.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * Where S3 server access logs of the artifact bucket go.
   *
   * @default - a dedicated access-log bucket (SSE-S3, TLS-only, private) is created
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/**
 * Attributes to import an artifact store created elsewhere.
 */
export interface ArtifactStoreAttributes {
  /** Name of the artifact bucket. */
  readonly bucketName: string;
  /** ARN of the KMS key that encrypts the bucket. */
  readonly encryptionKeyArn: string;
  /**
   * Region of the store.
   *
   * @default - the region of the stack it is imported into
   */
  readonly region?: string;
}

/** The prefix of S3 server access log objects for the artifact bucket. */
const ACCESS_LOG_PREFIX = 'artifact-bucket/';

/**
 * The artifact store of the tooling account in one region: an S3 bucket
 * encrypted with a customer-managed KMS key, readable by the tenant roles of
 * the deployment contract and by nobody else.
 *
 * Its key and bucket policies never name a role: they admit the organization
 * (`*` narrowed by `aws:PrincipalOrgID` / `aws:PrincipalOrgPaths`) or the
 * reader accounts (named as principals in the bucket policy, so that S3 Block
 * Public Access does not count it as public; `aws:PrincipalAccount` in the key
 * policy), narrowed by `aws:PrincipalArn` to the contract's role names (the
 * tenant action and execution roles, and the instance role of CodeDeploy
 * in-place targets, which download revisions themselves). Tenant
 * roles need not exist when the store deploys, and the policies do not grow
 * with an organization (15 bytes per account without one).
 *
 * Only the contract's pipeline roles may write the `handoff/` folder, whose
 * objects start the later pipelines of a chain.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { ArtifactStore, DeploymentContract } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * // One store per region of the tooling account, shared by every pipeline there.
 * const tooling = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
 * new ArtifactStore(tooling, 'ArtifactStore', { contract });
 * app.synth();
 */
export class ArtifactStore extends ArtifactStoreBase {
  /**
   * Import a store by bucket name and key ARN (for example one deployed by
   * another app or in another region).
   */
  public static fromAttributes(scope: Construct, id: string, attrs: ArtifactStoreAttributes): IArtifactStore {
    return new ImportedArtifactStore(scope, id, attrs);
  }

  public readonly bucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly region: string;
  /** The deployment contract the store serves. */
  public readonly contract: DeploymentContract;
  /** The bucket receiving the artifact bucket's server access logs (created, or the one given). */
  public readonly accessLogsBucket: s3.IBucket;

  private readonly readerAccounts: string[];
  /** The bucket statement naming the reader accounts (account-list mode), made with the first one. */
  private accountReaders?: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    this.contract = props.contract;
    this.readerAccounts = [];
    this.region = Stack.of(this).region;
    throwIfProblems(this, storeProblems(this, props));

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = props.autoDeleteObjects ?? false;

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the pipeline artifacts of deployment contract '${this.contract.qualifier}'`,
      alias: this.contract.artifactKeyAliasName,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.encryptionKey = key;

    this.accessLogsBucket = props.serverAccessLogsBucket
      ?? createAccessLogsBucket(this, 'AccessLogs', { removalPolicy, autoDeleteObjects, loggedBucket: 'the artifact bucket' });

    const bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: this.contract.artifactBucketName(this.region),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      ...PRIVATE_BUCKET_DEFAULTS,
      lifecycleRules: [{
        id: 'expire-old-artifacts',
        expiration: props.artifactExpiration ?? Duration.days(90),
        noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
      removalPolicy,
      autoDeleteObjects,
    });
    this.bucket = bucket;
    // New objects are announced on EventBridge: a chained pipeline starts when the
    // one before hands it the release. Set on the L1 resource, which CloudFormation
    // supports natively (the L2 switch would add a custom resource and a Lambda).
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    logAccessTo(this, bucket, this.accessLogsBucket, {
      loggedBucketArn: `arn:${Aws.PARTITION}:s3:::${this.contract.artifactBucketName(this.region)}`,
      prefix: ACCESS_LOG_PREFIX,
      givenByUser: props.serverAccessLogsBucket !== undefined,
      warningId: 'cdk-cross-account-cicd:accessLogsPolicyNotAdded',
    });

    this.denyUploadsWithOtherKeys(bucket, key);
    bucket.addToResourcePolicy(onlyPipelineRolesWriteHandoffs(bucket, this.contract, !autoDeleteObjects));
    this.admitTenantReaders(bucket, key);
    this.addReaderAccounts(...(props.readerAccounts ?? []));

    this.node.addValidation({ validate: () => this.readerProblems() });
    guardPolicySizes(this, {
      [PolicyQuota.KMS_KEY_POLICY]: 'give the DeploymentContract an organizationId so the key policy does not list accounts',
      [PolicyQuota.S3_BUCKET_POLICY]: 'give the DeploymentContract an organizationId so the bucket policy does not list accounts',
    });
  }

  /**
   * Let the tenant roles of more accounts read. With an organization in the
   * contract this adds nothing: the organization condition already admits every
   * member account, and the policies stay the same size.
   */
  public addReaderAccounts(...accounts: string[]): void {
    if (this.contract.organizationId) return;
    throwIfProblems(this, checkAccountList('readerAccounts', [...this.readerAccounts, ...accounts]));
    this.readerAccounts.push(...accounts);
    if (accounts.length === 0) return;
    this.accountReaders ??= this.admitAccountReaders();
    this.accountReaders.addPrincipals(...accounts.map((account) => new AccountIdPrincipal(account)));
  }

  /**
   * Tenant action and execution roles, in the accounts the contract admits,
   * may read objects and decrypt them through S3; they need not exist yet.
   */
  private admitTenantReaders(bucket: s3.Bucket, key: kms.Key): void {
    const scope: ReaderScope = {
      organizationId: this.contract.organizationId,
      organizationalUnitPaths: this.contract.organizationalUnitPaths,
      // Rendered at synth, so accounts added after construction are included.
      accounts: this.contract.organizationId ? [] : Lazy.list({ produce: () => this.readerAccounts }),
    };
    const roleArnPatterns = this.tenantRoleArnPatterns();

    // S3 counts a Principal "*" statement as non-public when it is narrowed to
    // the organization; aws:PrincipalAccount is not among the keys it lists, so
    // without an organization the accounts are named as principals (addReaderAccounts).
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
    if (this.contract.organizationId) {
      bucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'TenantRolesReadArtifacts',
        principals: [new iam.AnyPrincipal()],
        actions: TENANT_OBJECT_READ_ACTIONS,
        resources: [bucket.arnForObjects('*')],
        conditions: readerConditions(scope, roleArnPatterns),
      }));
    }

    // KMS has no notion of a public key policy: the account list stays a condition.
    const decryptConditions = readerConditions(scope, roleArnPatterns);
    decryptConditions.StringEquals = { ...decryptConditions.StringEquals, 'kms:ViaService': `s3.${this.region}.amazonaws.com` };
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'TenantRolesDecryptArtifactsThroughS3',
      principals: [new iam.AnyPrincipal()],
      actions: TENANT_KEY_READ_ACTIONS,
      resources: ['*'],
      conditions: decryptConditions,
    }));
  }

  /** The bucket statement for reader accounts, which addReaderAccounts names as principals. */
  private admitAccountReaders(): iam.PolicyStatement {
    const statement = new iam.PolicyStatement({
      sid: 'TenantRolesReadArtifacts',
      actions: TENANT_OBJECT_READ_ACTIONS,
      resources: [this.bucket.arnForObjects('*')],
      conditions: readerConditions({ organizationalUnitPaths: [], accounts: [] }, this.tenantRoleArnPatterns()),
    });
    this.bucket.addToResourcePolicy(statement);
    return statement;
  }

  /**
   * The contract's tenant roles in any account; the account is narrowed
   * elsewhere. Besides the action and execution roles, the instance role of
   * CodeDeploy in-place targets: the CodeDeploy agent downloads the revision
   * from this store with the instance's credentials, so the bucket and the key
   * must admit that role in the target account.
   * https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html
   */
  private tenantRoleArnPatterns(): string[] {
    return [this.contract.actionRoleName, this.contract.executionRoleName, this.contract.codeDeployInstanceRoleName]
      .map((name) => `arn:${Aws.PARTITION}:iam::*:role/${name}`);
  }

  /** Uploads that name a key must name this one; uploads without one get it by default. */
  private denyUploadsWithOtherKeys(bucket: s3.Bucket, key: kms.Key): void {
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyUploadsNotEncryptedWithTheArtifactKey',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        StringNotEquals: {
          's3:x-amz-server-side-encryption-aws-kms-key-id': [key.keyArn, this.contract.artifactKeyAliasArn(this.region)],
        },
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
      },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyUploadsNotEncryptedWithKms',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
        Null: { 's3:x-amz-server-side-encryption': 'false' },
      },
    }));
  }

  private readerProblems(): string[] {
    const scope = { organizationalUnitPaths: [], organizationId: this.contract.organizationId, accounts: this.readerAccounts };
    if (!isEmptyReaderScope(scope)) return [];
    return [
      'readerAccounts = []: the store has no readers, so no target account could read its artifacts. ' +
      'Fix: give the DeploymentContract an organizationId, or pass readerAccounts (or call addReaderAccounts).',
    ];
  }
}

function storeProblems(scope: Construct, props: ArtifactStoreProps): Problem[] {
  const problems = contractProblems(props.contract);
  problems.push(...toolingResourceProblems(Stack.of(scope).account, props.contract, props.readerAccounts, {
    resource: 'store', tenantsDo: 'tenant roles read artifacts', membersDo: 'read',
  }));
  if (props.autoDeleteObjects && props.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.push({
      property: 'autoDeleteObjects',
      value: true,
      reason: 'deleting the artifacts only makes sense when the bucket itself is destroyed',
      fix: 'also set removalPolicy: RemovalPolicy.DESTROY, or drop autoDeleteObjects',
    });
  }
  return problems;
}

/** A store created elsewhere, known by bucket name and key ARN. */
class ImportedArtifactStore extends ArtifactStoreBase {
  public readonly bucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly region: string;

  constructor(scope: Construct, id: string, attrs: ArtifactStoreAttributes) {
    // The key ARN tells the store's account and region, so grants know whose it is.
    super(scope, id, { environmentFromArn: attrs.encryptionKeyArn });
    this.region = attrs.region ?? this.env.region;
    this.encryptionKey = kms.Key.fromKeyArn(this, 'Key', attrs.encryptionKeyArn);
    this.bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
      bucketName: attrs.bucketName,
      encryptionKey: this.encryptionKey,
      region: this.region,
    });
  }
}
