/**
 * User data that installs the CodeDeploy agent on Amazon Linux 2023 from the
 * region's public installer bucket (no IAM permission needed for it).
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-install-linux.html
 * `region` may be a token: the caller renders it.
 */
import { CODEDEPLOY_AGENT_INSTALL_LINES } from '../../shared/codedeploy-agent';

export function codeDeployAgentInstallCommands(region: string): string[] {
  return [
    'set -euo pipefail',
    'retry() { for i in 1 2 3 4 5; do "$@" && return 0; sleep $((i * 5)); done; return 1; }',
    `CDKX_REGION='${region}'`,
    'retry dnf install -y -q ruby wget',
    ...CODEDEPLOY_AGENT_INSTALL_LINES,
  ];
}
