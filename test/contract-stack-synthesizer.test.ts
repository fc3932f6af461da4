/**
 * ContractStackSynthesizer on a real CDK app: a Lambda function with code from
 * a directory and a Docker image asset (synthesis builds no image). The asset
 * manifest must send every asset to the contract's store (under assets/) or
 * its repository, and the template must name only those, with the region
 * left to the deployment for an environment-agnostic stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Manifest } from 'aws-cdk-lib/cloud-assembly-schema';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ContractStackSynthesizer, DeploymentContract } from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const FIXTURES = path.join(__dirname, 'fixtures', 'app-assets');

function appStack(app: App, id: string, contract: DeploymentContract, env?: { account: string; region: string }): Stack {
  const stack = new Stack(app, id, { env, synthesizer: new ContractStackSynthesizer({ contract }) });
  new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(FIXTURES, 'handler')),
  });
  const image = new ecr_assets.DockerImageAsset(stack, 'Image', { directory: path.join(FIXTURES, 'image') });
  // The image URI in the template, as an ECS task or a Lambda function would take it.
  new lambda.CfnFunction(stack, 'ImageFunction', {
    role: 'arn:aws:iam::222222222222:role/app-fn',
    packageType: 'Image',
    code: { imageUri: image.imageUri },
  });
  return stack;
}

interface Synthesized {
  readonly assembly: cxapi.CloudAssembly;
  readonly template: any;
  readonly manifest: ReturnType<typeof Manifest.loadAssetManifest>;
  readonly manifestFile: string;
}

function synth(env?: { account: string; region: string }, qualifier = 'shop'): Synthesized {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-a1b2c3d4e5', qualifier });
  appStack(app, 'ShopApp', contract, env);
  const assembly = app.synth();
  const stack = assembly.getStackByName('ShopApp');
  const manifestArtifact = assembly.artifacts.find((a) => a instanceof cxapi.AssetManifestArtifact) as cxapi.AssetManifestArtifact;
  return {
    assembly,
    template: stack.template,
    manifest: Manifest.loadAssetManifest(manifestArtifact.file),
    manifestFile: manifestArtifact.file,
  };
}

/** Every string of a template, intrinsics flattened (Fn::Sub bodies and Fn::Join pieces included). */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

describe('an environment-agnostic application stack (one template for every tenant)', () => {
  let s: Synthesized;
  beforeAll(() => { s = synth(); });

  test('every file asset goes to the contract\'s store of the publishing region, under assets/, and nowhere else', () => {
    const files = Object.values(s.manifest.files ?? {});
    // The Lambda code and the template itself.
    expect(files.length).toBe(2);
    for (const file of files) {
      const destinations = Object.values(file.destinations);
      expect(destinations).toHaveLength(1);
      for (const d of destinations) {
        expect(d.bucketName).toBe(`cdkx-shop-artifacts-${TOOLING}-\${AWS::Region}`);
        expect(d.objectKey).toMatch(/^assets\/[0-9a-f]{64}\.(zip|json)$/);
        // No region and no role: the publisher's AWS_REGION and its own credentials decide.
        expect(d.region).toBeUndefined();
        expect(d.assumeRoleArn).toBeUndefined();
      }
    }
    const packaging = files.map((f) => f.source.packaging ?? 'file').sort();
    expect(packaging).toEqual(['file', 'zip']);
  });

  test('the image asset goes to the contract\'s repository cdkx-shop/assets, tagged with its hash', () => {
    const images = Object.values(s.manifest.dockerImages ?? {});
    expect(images).toHaveLength(1);
    const destinations = Object.values(images[0].destinations);
    expect(destinations).toEqual([{ repositoryName: 'cdkx-shop/assets', imageTag: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(images[0].source.directory).toBeDefined();
  });

  test('the Lambda code is read from the store of the region the template is deployed to', () => {
    const template = Template.fromJSON(s.template);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: {
        S3Bucket: { 'Fn::Sub': `cdkx-shop-artifacts-${TOOLING}-\${AWS::Region}` },
        S3Key: Match.stringLikeRegexp('^assets/[0-9a-f]{64}\\.zip$'),
      },
    });
  });

  test('the image URI names the tooling account and the deployment region, not the account the stack deploys to', () => {
    const fn = Object.values<any>(s.template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.PackageType === 'Image');
    const uri = JSON.stringify(fn.Properties.Code.ImageUri);
    expect(uri).toContain(`${TOOLING}.dkr.ecr.`);
    expect(uri).toContain('{"Ref":"AWS::Region"}');
    expect(uri).toContain('/cdkx-shop/assets:');
    expect(uri).not.toContain('AWS::AccountId');
  });

  test('the template names no bootstrap bucket, repository, role, parameter or rule', () => {
    expect(s.template.Parameters?.BootstrapVersion).toBeUndefined();
    expect(s.template.Rules?.CheckBootstrapVersion).toBeUndefined();
    const all = strings(s.template).join('\n');
    expect(all).not.toMatch(/cdk-[a-z0-9]+-(assets|container-assets|cfn-exec-role|deploy-role|file-publishing|image-publishing)/);
    expect(all).not.toMatch(/hnb659fds/);
    // Every bucket or repository the template names is the contract's.
    const buckets = [...all.matchAll(/cdkx-[a-z0-9-]+-artifacts-[0-9]{12}-[^\s"/]+/g)].map((m) => m[0]);
    expect(new Set(buckets)).toEqual(new Set([`cdkx-shop-artifacts-${TOOLING}-\${AWS::Region}`]));
  });

  test('the stack artifact asks for no bootstrap stack and no roles', () => {
    const stack = s.assembly.getStackByName('ShopApp');
    expect(stack.assumeRoleArn).toBeUndefined();
    expect(stack.cloudFormationExecutionRoleArn).toBeUndefined();
    expect(stack.requiresBootstrapStackVersion).toBeUndefined();
    expect(stack.stackTemplateAssetObjectUrl).toMatch(new RegExp(`^s3://cdkx-shop-artifacts-${TOOLING}-\\$\\{AWS::Region\\}/assets/[0-9a-f]{64}\\.json$`));
  });

  test('the asset manifest is valid for the schema that cdk-assets reads (Manifest.loadAssetManifest validates it)', () => {
    // Loading validates against the asset manifest JSON schema and throws on a mismatch.
    expect(() => Manifest.loadAssetManifest(s.manifestFile)).not.toThrow();
    expect(JSON.parse(fs.readFileSync(s.manifestFile, 'utf8')).version).toBe(Manifest.version());
  });
});

describe('an environment-specific application stack', () => {
  test('names the store and the image of its own region literally', () => {
    const s = synth({ account: '222222222222', region: 'eu-west-1' });
    for (const file of Object.values(s.manifest.files ?? {})) {
      for (const d of Object.values(file.destinations)) {
        expect(d.bucketName).toBe(`cdkx-shop-artifacts-${TOOLING}-eu-west-1`);
        expect(d.region).toBe('eu-west-1');
      }
    }
    Template.fromJSON(s.template).hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: `cdkx-shop-artifacts-${TOOLING}-eu-west-1` },
    });
    const fn = Object.values<any>(s.template.Resources).find((r) => r.Properties?.PackageType === 'Image');
    const uri = JSON.stringify(fn.Properties.Code.ImageUri);
    expect(uri).toContain(`${TOOLING}.dkr.ecr.eu-west-1.`);
    expect(uri).not.toContain('222222222222');
  });
});

describe('bad input', () => {
  test('a tooling account that is a token is refused at synth', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: Token.asString({ Ref: 'Tooling' }), qualifier: 'shop' });
    const message = synthErrorOf(() => new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) }));
    expect(message).toContain('[ShopApp] invalid configuration:');
    expect(message).toContain('contract.toolingAccount');
    expect(message).toContain('the asset manifest names the store and the repository literally, and a token cannot be written there');
    expect(message).toContain("build the contract with the tooling account's literal 12-digit id");
  });

  test('an invalid contract is refused at synth with the contract\'s own problem', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: '1234', qualifier: 'shop' });
    const message = synthErrorOf(() => new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) }));
    expect(message).toContain('contract.toolingAccount');
    expect(message).toContain('1234');
  });
});
