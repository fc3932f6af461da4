/**
 * User data that installs the CodeDeploy agent on Amazon Linux 2023 from the
 * region's public installer bucket (no IAM permission needed for it).
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-install-linux.html
 * Pure; no CDK imports. `region` may be a token: the caller renders it.
 */
export function codeDeployAgentInstallCommands(region: string): string[] {
  return [
    'set -euo pipefail',
    'retry() { for i in 1 2 3 4 5; do "$@" && return 0; sleep $((i * 5)); done; return 1; }',
    `CDKX_REGION='${region}'`,
    'retry dnf install -y -q ruby wget',
    'case "$CDKX_REGION" in cn-*) s3_suffix=amazonaws.com.cn ;; *) s3_suffix=amazonaws.com ;; esac',
    'installer="$(mktemp)"',
    'retry curl -fsSL -o "$installer" "https://aws-codedeploy-$CDKX_REGION.s3.$CDKX_REGION.$s3_suffix/latest/install"',
    'chmod +x "$installer"',
    'retry "$installer" auto',
    'rm -f "$installer"',
    'systemctl enable --now codedeploy-agent',
  ];
}
