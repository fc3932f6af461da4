/**
 * The CodeDeploy agent on an EC2 instance, as both fleets of the library run
 * it (BlueGreenEfsDeploy's web fleet and CodeDeployServerGroup): the shell
 * lines that install it from the region's public installer bucket, and the
 * instance role statement it needs to poll for and report its work.
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-install-linux.html
 */
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Installs and starts the agent (no IAM permission needed to fetch the
 * installer). The caller's script defines `CDKX_REGION` and a `retry` function.
 */
export const CODEDEPLOY_AGENT_INSTALL_LINES: readonly string[] = [
  'case "$CDKX_REGION" in cn-*) s3_suffix=amazonaws.com.cn ;; *) s3_suffix=amazonaws.com ;; esac',
  'installer="$(mktemp)"',
  'retry curl -fsSL -o "$installer" "https://aws-codedeploy-$CDKX_REGION.s3.$CDKX_REGION.$s3_suffix/latest/install"',
  'chmod +x "$installer"',
  'retry "$installer" auto',
  'rm -f "$installer"',
  'systemctl enable --now codedeploy-agent',
];

/** What the agent calls on its host-command endpoint for the instance role. */
export function codeDeployAgentStatement(): iam.PolicyStatement {
  // The agent's host-command actions have no resource type: '*' is the only form IAM accepts.
  return new iam.PolicyStatement({
    sid: 'RunCodeDeployAgent',
    actions: [
      'codedeploy-commands-secure:GetDeploymentSpecification',
      'codedeploy-commands-secure:PollHostCommand',
      'codedeploy-commands-secure:PutHostCommandAcknowledgement',
      'codedeploy-commands-secure:PutHostCommandComplete',
    ],
    resources: ['*'],
  });
}
