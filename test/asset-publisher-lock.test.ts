/**
 * The publisher the Assets stage installs with `npm ci`: the committed lock
 * (src/cross-account-pipeline/asset-publisher/, written by
 * scripts/update-asset-publisher-lock.sh) names exactly the default versions,
 * holds an integrity hash for every package, and is what the stage ships; the
 * publish role may read that one object of the asset bucket and nothing else
 * there. scripts/check-asset-publisher-lock.sh installs the lock for real and
 * runs the publisher from it (in .ci/run).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';
import { publishBuildSpec } from './support/asset-publish-run';
import { DEFAULT_CDK_ASSETS_LIB_VERSION, DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION } from '../src/cross-account-pipeline/private/asset-publish-commands';

const LOCK_DIR = path.join(__dirname, '..', 'src', 'cross-account-pipeline', 'asset-publisher');
const TOOLING = '111111111111';
const REGION = 'us-east-1';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(LOCK_DIR, file), 'utf8'));

describe('the committed lock', () => {
  test('package.json names exactly the default versions', () => {
    expect(read('package.json').dependencies).toEqual({
      '@aws-cdk/cdk-assets-lib': DEFAULT_CDK_ASSETS_LIB_VERSION,
      '@aws-cdk/cloud-assembly-schema': DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION,
    });
  });

  test('package-lock.json resolves them to those versions, one schema for the library and the script, and every downloaded package has a sha512 integrity hash', () => {
    const lock = read('package-lock.json');
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages[''].dependencies).toEqual(read('package.json').dependencies);
    expect(lock.packages['node_modules/@aws-cdk/cdk-assets-lib'].version).toBe(DEFAULT_CDK_ASSETS_LIB_VERSION);
    expect(lock.packages['node_modules/@aws-cdk/cloud-assembly-schema'].version).toBe(DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION);
    // No second schema nested under the library: the pinned one is the one that reads the manifests.
    expect(Object.keys(lock.packages).filter((p) => p.endsWith('/@aws-cdk/cloud-assembly-schema'))).toEqual(['node_modules/@aws-cdk/cloud-assembly-schema']);
    // Bundled packages come inside their parent's tarball, covered by its hash.
    const installed = Object.entries<any>(lock.packages).filter(([p, entry]) => p !== '' && !entry.inBundle);
    expect(installed.length).toBeGreaterThan(10);
    const withoutHash = installed.filter(([, entry]) => !/^sha512-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? '')).map(([p]) => p);
    expect(withoutHash).toEqual([]);
  });
});

describe('the Assets stage ships the lock and may read only it', () => {
  let assembly: cxapi.CloudAssembly;
  let template: any;
  beforeAll(() => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    new CrossAccountPipeline(stack, 'Shop', {
      contract,
      artifactStore: new ArtifactStore(stack, 'Store', { contract }),
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'cdk.out/ShopApp.template.json' }),
      stages: [{ name: 'Prod', targets: [{ id: 'acme', account: '222222222222', region: REGION }] }],
      assetPublishing: { manifestPaths: ['cdk.out/*.assets.json'] },
    });
    assembly = app.synth();
    template = assembly.getStackByName('Tooling').template;
  });

  /** The file asset of the tooling stack whose source holds the lock. */
  function lockAsset(): { directory: string; objectKey: string } {
    const manifestFile = (assembly.artifacts.find((a) => a instanceof cxapi.AssetManifestArtifact && a.id.startsWith('Tooling')) as cxapi.AssetManifestArtifact).file;
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const found = Object.values<any>(manifest.files).filter((f) => f.source.packaging === 'zip'
      && fs.existsSync(path.join(assembly.directory, f.source.path, 'package-lock.json')));
    expect(found).toHaveLength(1);
    return { directory: path.join(assembly.directory, found[0].source.path), objectKey: Object.values<any>(found[0].destinations)[0].objectKey };
  }

  test('the asset holds exactly the committed package.json and package-lock.json', () => {
    const { directory } = lockAsset();
    expect(fs.readdirSync(directory).sort()).toEqual(['package-lock.json', 'package.json']);
    for (const file of ['package.json', 'package-lock.json']) {
      expect(fs.readFileSync(path.join(directory, file), 'utf8')).toBe(fs.readFileSync(path.join(LOCK_DIR, file), 'utf8'));
    }
  });

  test('the install command downloads that object, and the publish role may s3:GetObject it: one statement, that key, no wildcard', () => {
    const { objectKey } = lockAsset();
    expect(JSON.stringify(publishBuildSpec(template).install.commands)).toContain(objectKey);
    const statements = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s) => s.Sid === 'ReadPublisherLock');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('s3:GetObject');
    const resource = JSON.stringify(statements[0].Resource);
    expect(resource).toContain(`/${objectKey}`);
    expect(resource).not.toContain('*');
  });
});
