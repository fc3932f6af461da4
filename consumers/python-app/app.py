"""A software vendor's CDK app using cdk-cross-account-cicd through its Python bindings.

One tooling account (two regions, and a Fargate Spot job runner), a dev account (which also
runs the blue/green web tier on EFS), two tenant accounts and the management account that rolls
the tenant roles out to an OU. Every stack but ShopApp (the env-agnostic application the
pipeline releases) has an explicit environment, so synthesis needs no AWS credentials.
Run: `cdk synth` (cdk.json) or `python app.py`; tests: `pytest`.
"""
import os

from aws_cdk import App, Duration, Environment, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_iam as iam, aws_s3 as s3
from aws_cdk import aws_lambda as lambda_
from cdk_cross_account_cicd import (
    ApprovalOptions,
    ArtifactStore,
    AssetPublishingOptions,
    BlueGreenEfsDeploy,
    BlueGreenHookCommands,
    CapacityStrategy,
    ContainerRegistry,
    ContentBuildOptions,
    ContractStackSynthesizer,
    CrossAccountPipeline,
    DeploymentContract,
    DeploymentKind,
    DeploymentPermissions,
    FargateSpotRunner,
    GitHubOidcTrust,
    PipelineBuildOptions,
    PipelineSource,
    PipelineStageOptions,
    PipelineStep,
    PipelineTarget,
    StackSetAdministrationPermissions,
    TenantDeploymentRole,
    TenantDeploymentRoleStackSet,
)

TOOLING = "111111111111"
ORGANIZATION = "o-a1b2c3d4e5"
DEV = PipelineTarget(id="dev", account="222222222222", region="us-east-1")
TENANTS = [
    PipelineTarget(id="acme", account="333333333333", region="us-east-1", parameters={"Tenant": "acme"}),
    PipelineTarget(id="globex", account="444444444444", region="eu-west-1", parameters={"Tenant": "globex"}),
]
MANAGEMENT = "999999999999"
LAMBDA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda")


def build_app(outdir=None) -> App:
    app = App(outdir=outdir)
    contract = DeploymentContract(tooling_account=TOOLING, organization_id=ORGANIZATION, qualifier="shop")

    # Tooling account: an artifact store per region (eu-west-1 serves the globex tenant).
    tooling = Stack(app, "Tooling", env=Environment(account=TOOLING, region="us-east-1"))
    store = ArtifactStore(tooling, "ArtifactStore", contract=contract)
    tooling_eu = Stack(app, "ToolingEu", env=Environment(account=TOOLING, region="eu-west-1"))
    ArtifactStore(tooling_eu, "ArtifactStore", contract=contract, artifact_expiration=Duration.days(30))
    # Tooling account: the contract's image repositories (cdkx-shop/assets for image assets), pullable in the organization.
    ContainerRegistry(tooling, "Registry", contract=contract)

    # The application the pipeline releases: no env, one template for every tenant and region. Its
    # assets go to the contract's store of the region it is deployed to; the tenants need no bootstrap.
    shop_app = Stack(app, "ShopApp", synthesizer=ContractStackSynthesizer(contract=contract))
    lambda_.Function(shop_app, "Handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="handler.handler",
        code=lambda_.Code.from_asset(LAMBDA_DIR),
    )

    # The release pipeline: Dev with an integration test step, then the tenants after an approval.
    CrossAccountPipeline(tooling, "Release",
        contract=contract,
        artifact_store=store,
        pipeline_name="shop-release",
        source=PipelineSource.connection(
            connection_arn=f"arn:aws:codeconnections:us-east-1:{TOOLING}:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            repository="acme/shop",
            branch="main",
            file_paths=["services/shop/**"],
        ),
        build_options=PipelineBuildOptions(
            commands=["npm ci", "npm test", "npx cdk synth -o dist"],
            output_directory="dist",
            test_report_files=["reports/*.xml"],
        ),
        deployment_kind=DeploymentKind.cloud_formation(stack_name="shop-app", template_path="ShopApp.template.json"),
        # An Assets stage after the build publishes ShopApp's Lambda code once per region of the targets.
        asset_publishing=AssetPublishingOptions(manifest_paths=["ShopApp.assets.json"]),
        stages=[
            PipelineStageOptions(name="Dev", targets=[DEV],
                verify=[PipelineStep(name="IntegrationTests", commands=["npm run test:integ"])]),
            PipelineStageOptions(name="Prod", targets=TENANTS,
                approval=ApprovalOptions(comment="Release to the tenants")),
            # A StackSet updated from the management account (the stage's one target, where the
            # StackSet lives), spread to every account of the tenants' OU in two regions.
            PipelineStageOptions(name="Guardrails",
                targets=[PipelineTarget(id="org", account=MANAGEMENT, region="us-east-1")],
                deployment_kind=DeploymentKind.stack_set(
                    stack_set_name="shop-guardrails",
                    template_path="Guardrails.template.json",
                    organizational_unit_ids=["ou-ab12-34cd56ef"],
                    regions=["us-east-1", "eu-west-1"],
                    failure_tolerance_percentage=10,
                    max_concurrent_percentage=25,
                )),
        ],
    )

    # Tooling account: integration tests as a job on Fargate Spot (FARGATE fallback, checkpoints),
    # started and watched by GitHub Actions of acme/shop on main. The VPC's availability zones
    # come from the context in cdk.json, so `cdk synth` still needs no credentials.
    jobs = Stack(app, "ToolingJobs", env=Environment(account=TOOLING, region="us-east-1"))
    FargateSpotRunner(jobs, "IntegrationTests",
        vpc=ec2.Vpc(jobs, "Vpc", max_azs=2),
        image=ecs.ContainerImage.from_registry("public.ecr.aws/aws-cli/aws-cli:2.17.0"),
        command=["sh", "-c", "aws sts get-caller-identity && echo running the integration tests"],
        cpu=1024,
        memory_limit_mib=2048,
        capacity=CapacityStrategy.spot_with_on_demand_fallback(),
        use_checkpoint_wrapper=True,
        # The suite split evenly over 4 tasks: each reads RUNNER_TASK_INDEX / RUNNER_TASK_COUNT.
        task_count=4,
        external_ci=GitHubOidcTrust(repository="acme/shop", branch="main"),
    )

    # Dev account: the web tier, code on EFS, released blue/green from a zip in S3. The VPC's
    # availability zones come from the context in cdk.json, so `cdk synth` needs no credentials.
    web = Stack(app, "Web", env=Environment(account=DEV.account, region="us-east-1"))
    releases = s3.Bucket(web, "Releases",
        versioned=True,
        event_bridge_enabled=True,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )
    BlueGreenEfsDeploy(web, "MarketingSite",
        release_name="shop-web",
        source=PipelineSource.s3(bucket=releases, object_key="web/site.zip"),
        content_build=ContentBuildOptions(commands=["npm ci", "npm run build"], output_directory="dist"),
        health_check_path="/health.html",
        termination_wait_time=Duration.minutes(120),
        hook_commands=BlueGreenHookCommands(after_install=["systemctl reload nginx"]),
        # An example without a domain: plain HTTP on purpose. A real site passes
        # certificate= (an ACM certificate) instead: HTTPS, and HTTP redirects.
        allow_plaintext_http=True,
    )

    # Target accounts: the action role and the CloudFormation execution role.
    for target in [DEV, *TENANTS]:
        stack = Stack(app, f"Target-{target.id}", env=Environment(account=target.account, region=target.region))
        TenantDeploymentRole(stack, "DeploymentRoles",
            contract=contract,
            execution_role_statements=[iam.PolicyStatement(
                actions=["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes"],
                resources=[f"arn:aws:sns:*:{target.account}:shop-*"],
            )],
            git_hub_oidc=GitHubOidcTrust(repository="acme/shop", branch="main") if target.id == "dev" else None,
            # The action role may also roll new code out to the contract's Lambda functions.
            permissions=[DeploymentPermissions.lambda_update()],
        )

    # Management account: its own deployment roles, whose action role may administer the
    # contract's StackSets (the pipeline's Guardrails stage).
    management_roles = Stack(app, "Target-management", env=Environment(account=MANAGEMENT, region="us-east-1"))
    TenantDeploymentRole(management_roles, "DeploymentRoles",
        contract=contract,
        stack_set_administration=StackSetAdministrationPermissions(),
    )

    # Management account: the same roles rolled out by a StackSet to every account of an OU.
    management = Stack(app, "TenantRolesRollout", env=Environment(account=MANAGEMENT, region="us-east-1"))
    TenantDeploymentRoleStackSet(management, "TenantRoles",
        contract=contract,
        organizational_unit_ids=["ou-ab12-34cd56ef"],
        execution_role_managed_policy_arns=["arn:aws:iam::aws:policy/AmazonSNSFullAccess"],
    )
    return app


if __name__ == "__main__":
    build_app().synth()
