"""Asserts on the templates app.py synthesizes through the Python bindings."""
import json
import os

import pytest
from aws_cdk import App, Environment, Stack, aws_s3 as s3
from aws_cdk.assertions import Match, Template
from cdk_cross_account_cicd import ArtifactStore, BlueGreenEfsDeploy, DeploymentContract, PipelineSource

from app import DEV, ORGANIZATION, TENANTS, TOOLING, build_app


def partition_arn(rest):
    """The Fn::Join CDK renders for `arn:${Partition}<rest>`."""
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, rest]]}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))


def template(app, stack_id):
    return Template.from_stack(app.node.find_child(stack_id))


@pytest.mark.parametrize("stack_id", ["Target-dev", "Target-acme", "Target-globex"])
def test_tenant_action_role_trusts_the_pipeline_path_and_its_own_deployers_in_the_organization(app, stack_id):
    template(app, stack_id).has_resource_properties("AWS::IAM::Role", {
        "RoleName": "cdkx-shop-deploy-action",
        "AssumeRolePolicyDocument": Match.object_like({"Statement": Match.array_with([Match.object_like({
            "Action": "sts:AssumeRole",
            "Principal": {"AWS": partition_arn(f":iam::{TOOLING}:root")},
            "Condition": Match.object_like({
                # The pipeline path, and the CodeBuild deployers of this account only (issue 11).
                "ArnLike": {"aws:PrincipalArn": Match.array_with([partition_arn(f":iam::{TOOLING}:role/cdkx-shop/*")])},
                "StringEquals": Match.object_like({"aws:PrincipalOrgID": ORGANIZATION}),
            }),
        })])}),
    })


@pytest.mark.parametrize("stack_id", ["Target-dev", "Target-acme", "Target-globex"])
def test_tenant_execution_role_is_assumed_by_cloudformation(app, stack_id):
    template(app, stack_id).has_resource_properties("AWS::IAM::Role", {
        "RoleName": "cdkx-shop-cfn-exec",
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({
            "Principal": {"Service": "cloudformation.amazonaws.com"},
        })]}),
    })


@pytest.mark.parametrize("stack_id,region", [("Tooling", "us-east-1"), ("ToolingEu", "eu-west-1")])
def test_artifact_key_admits_tenant_roles_of_the_organization_through_s3(app, stack_id, region):
    t = template(app, stack_id)
    t.has_resource_properties("AWS::S3::Bucket", {"BucketName": f"cdkx-shop-artifacts-{TOOLING}-{region}"})
    t.has_resource_properties("AWS::KMS::Key", {
        "EnableKeyRotation": True,
        "KeyPolicy": Match.object_like({"Statement": Match.array_with([Match.object_like({
            "Principal": {"AWS": "*"},
            "Condition": Match.object_like({
                "ArnLike": {"aws:PrincipalArn": Match.array_with([partition_arn(":iam::*:role/cdkx-shop-deploy-action")])},
                "StringEquals": Match.object_like({
                    "aws:PrincipalOrgID": ORGANIZATION,
                    "kms:ViaService": f"s3.{region}.amazonaws.com",
                }),
            }),
        })])}),
    })


def test_release_pipeline_deploys_dev_then_tenants_after_approval(app):
    t = template(app, "Tooling")
    t.resource_count_is("AWS::CodePipeline::Pipeline", 1)
    stages = t.find_resources("AWS::CodePipeline::Pipeline")
    (pipeline,) = stages.values()
    assert pipeline["Properties"]["Name"] == "shop-release"
    names = [s["Name"] for s in pipeline["Properties"]["Stages"]]
    assert names[:2] == ["Source", "Build"]
    assert names.index("Approve-Prod") < names.index("Prod-Wave-1-of-1")
    assert names.index("Dev-Wave-1-of-1") < names.index("Approve-Prod")
    prod = next(s for s in pipeline["Properties"]["Stages"] if s["Name"] == "Prod-Wave-1-of-1")
    assert sorted(a["Name"] for a in prod["Actions"]) == ["acme", "globex"]


def test_stack_set_rolls_out_both_roles_service_managed(app):
    t = template(app, "TenantRolesRollout")
    t.has_resource_properties("AWS::CloudFormation::StackSet", {
        "PermissionModel": "SERVICE_MANAGED",
        "TemplateBody": Match.string_like_regexp("cdkx-shop-deploy-action"),
    })


def test_guardrails_stage_updates_a_stack_set_from_the_management_account(app):
    (pipeline,) = template(app, "Tooling").find_resources("AWS::CodePipeline::Pipeline").values()
    actions = [a for s in pipeline["Properties"]["Stages"] for a in s["Actions"]
               if a["ActionTypeId"]["Provider"] == "CloudFormationStackSet"]
    assert len(actions) == 1
    config = actions[0]["Configuration"]
    assert config["StackSetName"] == "shop-guardrails"
    assert config["PermissionModel"] == "SERVICE_MANAGED"
    assert config["DeploymentTargets"] == "ou-ab12-34cd56ef"
    assert config["Regions"] == "us-east-1,eu-west-1"
    assert ":iam::999999999999:role/cdkx-shop-deploy-action" in json.dumps(actions[0]["RoleArn"])
    template(app, "Target-management").has_resource_properties("AWS::IAM::Policy", {
        "PolicyDocument": Match.object_like({"Statement": Match.array_with([Match.object_like({
            "Sid": "AdministerContractStackSets",
            "Action": Match.array_with(["cloudformation:UpdateStackSet", "cloudformation:CreateStackInstances"]),
        })])}),
    })


def test_fargate_spot_runner_runs_the_job_from_a_state_machine(app):
    t = template(app, "ToolingJobs")
    t.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    t.has_resource_properties("AWS::ECS::TaskDefinition", {
        "Cpu": "1024",
        "Memory": "2048",
        "ContainerDefinitions": [Match.object_like({
            "Image": "public.ecr.aws/aws-cli/aws-cli:2.17.0",
            "StopTimeout": 120,
        })],
    })


def test_fargate_spot_runner_splits_the_job_over_task_count_tasks(app):
    # task_count=4: one Map iteration per task index, 0 to 3.
    machines = template(app, "ToolingJobs").find_resources("AWS::StepFunctions::StateMachine")
    definitions = []
    for machine in machines.values():
        d = machine["Properties"]["DefinitionString"]
        definitions.append(d if isinstance(d, str) else "".join(p for p in d["Fn::Join"][1] if isinstance(p, str)))
    assert len(definitions) == 1
    assert '"Type":"Map"' in definitions[0]
    assert '"taskIndexes":[0,1,2,3]' in definitions[0]


def test_fargate_spot_runner_cluster_has_fargate_and_fargate_spot(app):
    template(app, "ToolingJobs").has_resource_properties("AWS::ECS::ClusterCapacityProviderAssociations", {
        "CapacityProviders": Match.array_with(["FARGATE", "FARGATE_SPOT"]),
    })


def test_fargate_spot_runner_external_ci_trust_pins_the_github_subject(app):
    template(app, "ToolingJobs").has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/shop:ref:refs/heads/main",
            }},
        })]}),
    })


def test_bad_input_fails_at_synth_with_the_property_and_the_fix():
    stack = Stack(App(), "Tooling", env=Environment(account=TOOLING, region="us-east-1"))
    contract = DeploymentContract(tooling_account=TOOLING, qualifier="Shop_X")
    with pytest.raises(Exception, match=r"contract\.qualifier = \"Shop_X\".*Fix:"):
        ArtifactStore(stack, "ArtifactStore", contract=contract)


def test_blue_green_deployment_group_keeps_the_old_fleet_and_rolls_back_on_alarms(app):
    t = template(app, "Web")
    t.resource_count_is("Custom::Ec2BlueGreenDeploymentGroup", 1)
    t.has_resource_properties("Custom::Ec2BlueGreenDeploymentGroup", {
        "ApplicationName": "shop-web",
        "DeploymentGroupName": "shop-web-bluegreen",
        "TerminationWaitTimeInMinutes": "120",
        "AutoRollbackEvents": Match.array_with(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]),
    })


def test_blue_green_pipeline_is_queued_and_publishes_before_deploying(app):
    t = template(app, "Web")
    t.resource_count_is("AWS::CodePipeline::Pipeline", 1)
    (pipeline,) = t.find_resources("AWS::CodePipeline::Pipeline").values()
    props = pipeline["Properties"]
    assert props["Name"] == "shop-web-release"
    assert props["ExecutionMode"] == "QUEUED"
    (source,) = props["Stages"][0]["Actions"]
    (bucket_id,) = [k for k in t.find_resources("AWS::S3::Bucket") if k.startswith("Releases")]
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"]["S3Bucket"] == {"Ref": bucket_id}
    assert source["Configuration"]["S3ObjectKey"] == "web/site.zip"
    steps = sorted((a["RunOrder"], a["ActionTypeId"]["Provider"]) for a in props["Stages"][-1]["Actions"])
    assert steps == [(1, "CodeBuild"), (2, "CodeDeploy")]
    t.has_resource_properties("AWS::CodeBuild::Project", {
        "Source": Match.object_like({"BuildSpec": Match.string_like_regexp("npm run build")}),
    })


def test_blue_green_content_is_on_encrypted_efs_behind_imdsv2_instances(app):
    t = template(app, "Web")
    t.resource_count_is("AWS::EFS::FileSystem", 1)
    t.has_resource_properties("AWS::EFS::FileSystem", {"Encrypted": True})
    t.has_resource_properties("AWS::EC2::LaunchTemplate", {
        "LaunchTemplateData": Match.object_like({"MetadataOptions": Match.object_like({"HttpTokens": "required"})}),
    })
    t.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/health.html"})


def test_blue_green_release_bundle_runs_the_hook_command(app):
    # The hook command travels in the release-tools asset, not in the template.
    assembly = app.synth()
    with open(os.path.join(assembly.directory, "Web.assets.json"), encoding="utf-8") as f:
        files = json.load(f)["files"]
    (tools,) = [a for a in files.values() if a.get("displayName", "").endswith("/Pipeline/ReleaseTools")]
    bundle = os.path.join(assembly.directory, tools["source"]["path"], "bundle")
    with open(os.path.join(bundle, "hooks", "user-AfterInstall.sh"), encoding="utf-8") as f:
        assert "systemctl reload nginx" in f.read()
    with open(os.path.join(bundle, "appspec.yml"), encoding="utf-8") as f:
        assert "hooks/user-AfterInstall.sh" in f.read()
    with open(os.path.join(bundle, "settings.env"), encoding="utf-8") as f:
        assert "CDKX_HEALTH_CHECK_PATH='/health.html'" in f.read()
    # The scripts the library ships as package data made it into the wheel.
    for script in ["hooks/switch-color.sh", "hooks/validate-service.sh", "../release-tools/sync-release.sh"]:
        with open(os.path.join(bundle, script), encoding="utf-8") as f:
            assert f.read().startswith("#!"), script


def test_blue_green_bad_health_check_path_fails_at_synth_with_the_fix():
    stack = Stack(App(), "Web", env=Environment(account="222222222222", region="us-east-1"))
    releases = s3.Bucket(stack, "Releases")
    with pytest.raises(Exception, match=r"healthCheckPath = \"health\.html\".*Fix:"):
        BlueGreenEfsDeploy(stack, "MarketingSite",
            source=PipelineSource.s3(bucket=releases, object_key="web/site.zip"),
            health_check_path="health.html",
        )


# ShopApp, synthesized with the contract's synthesizer: one env-agnostic template for every tenant.
SHOP_BUCKET = f"cdkx-shop-artifacts-{TOOLING}-${{AWS::Region}}"


def test_shop_app_needs_no_bootstrap_and_reads_its_code_from_the_store_of_its_region(app):
    t = template(app, "ShopApp")
    parameters = t.to_json().get("Parameters", {})
    rules = t.to_json().get("Rules", {})
    assert "BootstrapVersion" not in parameters and "CheckBootstrapVersion" not in rules
    t.resource_count_is("AWS::Lambda::Function", 1)
    t.has_resource_properties("AWS::Lambda::Function", {
        "Code": {"S3Bucket": {"Fn::Sub": SHOP_BUCKET}, "S3Key": Match.string_like_regexp(r"^assets/")},
    })


def test_shop_app_asset_manifest_publishes_the_code_to_the_contract_store_under_assets(app):
    assembly = app.synth()
    with open(os.path.join(assembly.directory, "ShopApp.assets.json"), encoding="utf-8") as f:
        files = json.load(f)["files"]
    (code,) = [a for a in files.values() if a["source"].get("packaging") == "zip"]
    (destination,) = code["destinations"].values()
    assert destination["bucketName"] == SHOP_BUCKET
    assert destination["objectKey"].startswith("assets/")


def test_registry_has_the_image_assets_repository_with_immutable_tags(app):
    t = template(app, "Tooling")
    t.resource_count_is("AWS::ECR::Repository", 1)
    t.has_resource_properties("AWS::ECR::Repository", {
        "RepositoryName": "cdkx-shop/assets",
        "ImageTagMutability": "IMMUTABLE",
    })


def test_assets_stage_publishes_once_per_region_of_the_targets_after_the_build(app):
    (pipeline,) = template(app, "Tooling").find_resources("AWS::CodePipeline::Pipeline").values()
    stages = pipeline["Properties"]["Stages"]
    assert [s["Name"] for s in stages][:3] == ["Source", "Build", "Assets"]
    # The targets' regions: dev, acme and org in us-east-1, globex in eu-west-1.
    regions = sorted({t.region for t in [DEV, *TENANTS]} | {"us-east-1"})
    assert sorted((a["Name"], a["ActionTypeId"]["Provider"]) for a in stages[2]["Actions"]) == \
        [(f"Publish-{r}", "CodeBuild") for r in regions]
    assert len(regions) == 2


@pytest.mark.parametrize("stack_id", ["Target-dev", "Target-acme", "Target-globex"])
def test_lambda_update_preset_is_on_the_action_role(app, stack_id):
    t = template(app, stack_id)
    (action_role,) = t.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": "cdkx-shop-deploy-action"}}).keys()
    t.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": action_role}],
        "PolicyDocument": Match.object_like({"Statement": Match.array_with([Match.object_like({
            "Sid": "ShiftContractLambdaAliases",
            "Action": Match.array_with(["lambda:UpdateAlias", "lambda:UpdateFunctionCode"]),
        })])}),
    })
