/**
 * BlueGreenEfsDeploy's shared directory: its own access point outside the
 * colors, mounted read-write by the fleet, never used by a release. The access
 * decisions themselves are proven in bge-access.test.ts; here, the resources,
 * policies and boot script that carry them, and every refused input.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlueGreenEfsDeploy, BlueGreenEfsDeployProps, PipelineSource } from '../src';
import { allStatements } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';
import { instanceBootCommands, InstanceBootOptions } from '../src/blue-green-efs-deploy/private/instance-boot';

const ACCOUNT = '111111111111';

function deploy(props: Partial<BlueGreenEfsDeployProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Web', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Releases', { versioned: true });
  const web = new BlueGreenEfsDeploy(stack, 'Shop', {
    releaseName: 'shop-web',
    source: PipelineSource.s3({ bucket, objectKey: 'shop/site.zip' }),
    allowPlaintextHttp: true,
    ...props,
  });
  return { stack, web, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Logical id of the access point whose root directory is `path`. */
function accessPointId(template: Template, path: string): string {
  const [id] = Object.entries(template.findResources('AWS::EFS::AccessPoint')).find(([, ap]: [string, any]) => ap.Properties.RootDirectory.Path === path)!;
  return id;
}

const userDataOf = (template: Template) => JSON.stringify(only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.UserData);

describe('BlueGreenEfsDeploy without a shared directory', () => {
  const { template, web } = deploy();

  test('has no shared access point and mounts nothing read-write', () => {
    expect(web.sharedAccessPoint).toBeUndefined();
    const paths = Object.values(template.findResources('AWS::EFS::AccessPoint')).map((ap: any) => ap.Properties.RootDirectory.Path);
    expect(paths).not.toContain('/shared');
    expect(userDataOf(template)).not.toContain('CDKX_SHARED_MOUNT_PATH');
    expect(userDataOf(template)).not.toContain(',rw ');
  });
});

describe('BlueGreenEfsDeploy with a shared directory', () => {
  const { template, web } = deploy({ sharedDirectory: { mountPath: '/var/www/shared' } });
  const shared = accessPointId(template, '/shared');
  /** The shared access point's ARN as the policies write it. */
  const sharedArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticfilesystem:us-east-1:111111111111:access-point/', { Ref: shared }]] };
  const fleetStatements = () => allStatements(template.toJSON())
    .map((s) => s.statement)
    .filter((s) => /WriteTheSharedDirectory|WriteNothingButTheSharedDirectory|NeverTouchTheSharedDirectory/.test(s.Sid ?? ''));

  test('a fourth access point at /shared, outside /app, owned by and acting as uid/gid 1000', () => {
    const paths = Object.values(template.findResources('AWS::EFS::AccessPoint')).map((ap: any) => ap.Properties.RootDirectory.Path).sort();
    expect(paths).toEqual(['/app', '/app/blue', '/app/green', '/shared']);
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      RootDirectory: { Path: '/shared', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '755' } },
      PosixUser: { Uid: '1000', Gid: '1000' },
    });
    expect(web.sharedAccessPoint).toBeDefined();
  });

  test('the fleet may mount and write only through the shared access point, and its role denies every other write', () => {
    const statements = fleetStatements();
    const allow = statements.find((s) => s.Sid === 'WriteTheSharedDirectoryThroughItsAccessPoint');
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Condition: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': sharedArn },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    });
    const deny = statements.find((s) => s.Sid === 'WriteNothingButTheSharedDirectory');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Action: 'elasticfilesystem:ClientWrite',
      Condition: { StringNotEquals: { 'elasticfilesystem:AccessPointArn': sharedArn } },
    });
  });

  test('the publisher\'s role denies itself the shared access point, so releases never touch it', () => {
    const deny = fleetStatements().find((s) => s.Sid === 'NeverTouchTheSharedDirectory');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': sharedArn } },
    });
    const policies = template.findResources('AWS::IAM::Policy');
    const holder = Object.entries(policies).find(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement.some((s: any) => s.Sid === 'NeverTouchTheSharedDirectory'))!;
    expect(holder[0]).toMatch(/PublishRole/);
  });

  test('the file system policy exempts the publisher and the fleet from its write denial, and keeps every other denial', () => {
    const statements = only(template, 'AWS::EFS::FileSystem').Properties.FileSystemPolicy.Statement;
    expect(statements.filter((s: any) => s.Effect === 'Allow')).toEqual([]);
    expect(statements.map((s: any) => s.Sid).sort()).toEqual([
      'DenyClientsWithoutTls', 'DenyMountsByOtherPrincipals', 'DenyRootAccess', 'DenyWritesByAnyoneButThePublisherAndTheFleet',
    ]);
    const writes = statements.find((s: any) => s.Sid === 'DenyWritesByAnyoneButThePublisherAndTheFleet');
    const writers = writes.Condition.ArnNotEquals['aws:PrincipalArn'].map((arn: any) => arn['Fn::GetAtt'][0]);
    expect(writers).toEqual([expect.stringMatching(/InstanceRole/), expect.stringMatching(/PublishRole/)]);
    const mounts = statements.find((s: any) => s.Sid === 'DenyMountsByOtherPrincipals');
    expect(mounts.Condition.ArnNotEquals['aws:PrincipalArn']).toHaveLength(2); // the fleet once, the publisher
  });

  test('instances mount it read-write with efs-utils (tls, iam, its access point, _netdev, noresvport) before the agent starts', () => {
    const userData = userDataOf(template);
    expect(userData).toContain("CDKX_SHARED_MOUNT_PATH='/var/www/shared'");
    const lines = (only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] as any[])
      .map((part) => (typeof part === 'string' ? part : `<${part.Ref}>`)).join('').split('\n');
    const fstab = `<${Object.keys(template.findResources('AWS::EFS::FileSystem'))[0]}>`;
    expect(lines).toContain(`grep -qF '${fstab}:/ /var/www/shared efs _netdev,noresvport,tls,iam,accesspoint=<${shared}>,rw 0 0' /etc/fstab `
      + `|| echo '${fstab}:/ /var/www/shared efs _netdev,noresvport,tls,iam,accesspoint=<${shared}>,rw 0 0' >>/etc/fstab`);
    expect(userData.indexOf('retry mount_shared')).toBeGreaterThan(userData.indexOf('retry mount_efs'));
    expect(userData.indexOf('enable --now codedeploy-agent')).toBeGreaterThan(userData.indexOf('retry mount_shared'));
  });

  test('a given POSIX user owns the directory and is the identity of every write', () => {
    const { template: t } = deploy({ sharedDirectory: { mountPath: '/srv/uploads', posixUser: { uid: '48', gid: '48' } } });
    t.hasResourceProperties('AWS::EFS::AccessPoint', {
      RootDirectory: { Path: '/shared', CreationInfo: { OwnerUid: '48', OwnerGid: '48', Permissions: '755' } },
      PosixUser: { Uid: '48', Gid: '48' },
    });
  });
});

describe('instanceBootCommands with a shared directory', () => {
  const BOOT: InstanceBootOptions = {
    fileSystemId: 'fs-0123456789abcdef0',
    accessPointId: 'fsap-0aaaabbbbccccdddd',
    region: 'eu-west-1',
    liveParameterName: '/shop/live',
    efsMountPath: '/mnt/efs',
    webRoot: '/var/www/current',
    applicationPort: 8080,
    healthCheckPath: '/health.html',
    defaultWebServer: true,
    additionalCommands: [],
    sharedDirectory: { accessPointId: 'fsap-0eeeeffff00001111', mountPath: '/var/www/shared' },
  };

  test('fstab mounts the shared access point read-write next to the read-only release mount, each with retries', () => {
    const lines = instanceBootCommands(BOOT);
    const release = 'fs-0123456789abcdef0:/ /mnt/efs efs _netdev,noresvport,tls,iam,accesspoint=fsap-0aaaabbbbccccdddd,ro 0 0';
    const shared = 'fs-0123456789abcdef0:/ /var/www/shared efs _netdev,noresvport,tls,iam,accesspoint=fsap-0eeeeffff00001111,rw 0 0';
    expect(lines).toContain(`grep -qF '${release}' /etc/fstab || echo '${release}' >>/etc/fstab`);
    expect(lines).toContain(`grep -qF '${shared}' /etc/fstab || echo '${shared}' >>/etc/fstab`);
    expect(lines).toContain("CDKX_SHARED_MOUNT_PATH='/var/www/shared'");
    expect(lines.indexOf('retry mount_shared')).toBeGreaterThan(lines.indexOf('retry mount_efs'));
  });

  test('nginx and the CodeDeploy agent wait for both mounts', () => {
    const script = instanceBootCommands(BOOT).join('\n');
    for (const unit of ['nginx', 'codedeploy-agent']) {
      expect(script).toContain(`printf '[Unit]\\nRequiresMountsFor=%s %s\\n' "$CDKX_EFS_MOUNT_PATH" "$CDKX_SHARED_MOUNT_PATH" >/etc/systemd/system/${unit}.service.d/cdkx-efs.conf`);
    }
  });
});

describe('BlueGreenEfsDeploy refuses a shared directory that cannot work, naming path, property, value and fix', () => {
  test.each<[string, BlueGreenEfsDeployProps['sharedDirectory'], RegExp]>([
    ['a relative mount path', { mountPath: 'var/www/shared' },
      /sharedDirectory\.mountPath = "var\/www\/shared": the instances mount the shared directory at an absolute path\. Fix: start it with '\/', e\.g\. '\/var\/www\/shared'/],
    ['a mount path with ..', { mountPath: '/var/www/shared/../current' },
      /sharedDirectory\.mountPath = "\/var\/www\/shared\/\.\.\/current": '\.' and '\.\.' make the path mean something else than it says\. Fix: write the path without/],
    ['a mount path with a space (it would split the fstab line)', { mountPath: '/var/www/my shared' },
      /sharedDirectory\.mountPath = "\/var\/www\/my shared": a mount path for \/etc\/fstab is .*without spaces.*Fix: e\.g\. '\/var\/www\/shared'/],
    ['a mount path with a trailing slash', { mountPath: '/var/www/shared/' }, /sharedDirectory\.mountPath = "\/var\/www\/shared\/": a mount path for \/etc\/fstab/],
    ['a mount path inside the release mount (the colors)', { mountPath: '/mnt/efs/app/uploads' },
      /sharedDirectory\.mountPath = "\/mnt\/efs\/app\/uploads": overlaps \/mnt\/efs\/app, where the instances mount the releases \(both colors\): one mount would hide or be hidden by the other\. Fix: mount it beside them, outside \/mnt\/efs\/app/],
    ['a mount path holding the release mount', { mountPath: '/mnt/efs' }, /sharedDirectory\.mountPath = "\/mnt\/efs": overlaps \/mnt\/efs\/app, where the instances mount the releases/],
    ['the release mount itself', { mountPath: '/mnt/efs/app' }, /sharedDirectory\.mountPath = "\/mnt\/efs\/app": overlaps \/mnt\/efs\/app/],
    ['a mount path inside the web root', { mountPath: '/var/www/current/uploads' },
      /sharedDirectory\.mountPath = "\/var\/www\/current\/uploads": overlaps \/var\/www\/current, the web root \(a link to the live color\)/],
    ['the placeholder served before the first release', { mountPath: '/var/www/cdkx-placeholder' }, /overlaps \/var\/www\/cdkx-placeholder, what the web root serves before the first release/],
    ['a directory of the operating system', { mountPath: '/var' }, /sharedDirectory\.mountPath = "\/var": overlaps \/var\/www\/current/],
    ['a directory the system needs', { mountPath: '/tmp' }, /sharedDirectory\.mountPath = "\/tmp": is a directory of the operating system, which a mount would hide\. Fix: choose a directory of its own/],
    ['a path inside /etc', { mountPath: '/etc/app/shared' }, /sharedDirectory\.mountPath = "\/etc\/app\/shared": is inside \/etc, a directory of the operating system/],
    ['root as the POSIX user', { mountPath: '/var/www/shared', posixUser: { uid: '0', gid: '1000' } },
      /sharedDirectory\.posixUser\.uid = "0": is root, and the file system denies root access to every client\. Fix: use the id of an unprivileged user/],
    ['a user name instead of an id', { mountPath: '/var/www/shared', posixUser: { uid: '1000', gid: 'nginx' } },
      /sharedDirectory\.posixUser\.gid = "nginx": is not a POSIX id \(a whole number from 1 to 4294967295\)\. Fix: use the numeric id/],
    ['a secondary group over the POSIX range', { mountPath: '/var/www/shared', posixUser: { uid: '1000', gid: '1000', secondaryGids: ['4294967296'] } },
      /sharedDirectory\.posixUser\.secondaryGids\[0\] = "4294967296": is not a POSIX id/],
  ])('%s', (_name, sharedDirectory, message) => {
    const error = synthErrorOf(() => deploy({ sharedDirectory }));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(message);
    expect(error.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(1);
  });

  test('mount paths beside the releases and the web root pass', () => {
    for (const mountPath of ['/var/www/shared', '/srv/shared', '/data', '/var/www/current-uploads', '/mnt/shared']) {
      expect(() => deploy({ sharedDirectory: { mountPath } })).not.toThrow();
    }
  });
});
