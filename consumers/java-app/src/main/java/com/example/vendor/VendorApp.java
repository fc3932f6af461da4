package com.example.vendor;

import io.github.cdkcrossaccountcicd.ApprovalOptions;
import io.github.cdkcrossaccountcicd.ArtifactStore;
import io.github.cdkcrossaccountcicd.AssetPublishingOptions;
import io.github.cdkcrossaccountcicd.BlueGreenEfsDeploy;
import io.github.cdkcrossaccountcicd.BlueGreenHookCommands;
import io.github.cdkcrossaccountcicd.CapacityStrategy;
import io.github.cdkcrossaccountcicd.CloudFormationDeploymentProps;
import io.github.cdkcrossaccountcicd.ConnectionSourceProps;
import io.github.cdkcrossaccountcicd.ContainerRegistry;
import io.github.cdkcrossaccountcicd.ContentBuildOptions;
import io.github.cdkcrossaccountcicd.ContractStackSynthesizer;
import io.github.cdkcrossaccountcicd.CrossAccountPipeline;
import io.github.cdkcrossaccountcicd.DeploymentContract;
import io.github.cdkcrossaccountcicd.DeploymentKind;
import io.github.cdkcrossaccountcicd.DeploymentPermissions;
import io.github.cdkcrossaccountcicd.FargateSpotRunner;
import io.github.cdkcrossaccountcicd.GitHubOidcTrust;
import io.github.cdkcrossaccountcicd.PipelineBuildOptions;
import io.github.cdkcrossaccountcicd.PipelineSource;
import io.github.cdkcrossaccountcicd.PipelineStageOptions;
import io.github.cdkcrossaccountcicd.PipelineStep;
import io.github.cdkcrossaccountcicd.PipelineTarget;
import io.github.cdkcrossaccountcicd.S3SourceProps;
import io.github.cdkcrossaccountcicd.StackSetAdministrationPermissions;
import io.github.cdkcrossaccountcicd.StackSetDeploymentProps;
import io.github.cdkcrossaccountcicd.TenantDeploymentRole;
import io.github.cdkcrossaccountcicd.TenantDeploymentRoleStackSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;

/**
 * A software vendor's CDK app using cdk-cross-account-cicd through its Java bindings:
 * one tooling account (two regions, and a Fargate Spot job runner), a dev account (which also
 * runs the blue/green web tier on EFS), two tenant accounts and the management account that rolls
 * the tenant roles out to an OU. Every stack but ShopApp (the env-agnostic application the
 * pipeline releases) has an explicit environment, so synthesis needs no AWS credentials.
 */
public final class VendorApp {
    public static final String TOOLING = "111111111111";
    public static final String ORGANIZATION = "o-a1b2c3d4e5";
    public static final String MANAGEMENT = "999999999999";
    static final PipelineTarget DEV = PipelineTarget.builder()
            .id("dev").account("222222222222").region("us-east-1").build();
    static final List<PipelineTarget> TENANTS = List.of(
            PipelineTarget.builder().id("acme").account("333333333333").region("us-east-1")
                    .parameters(Map.of("Tenant", "acme")).build(),
            PipelineTarget.builder().id("globex").account("444444444444").region("eu-west-1")
                    .parameters(Map.of("Tenant", "globex")).build());

    private VendorApp() {
    }

    public static App build(String outdir) {
        App app = new App(AppProps.builder().outdir(outdir).build());
        DeploymentContract contract = DeploymentContract.Builder.create()
                .toolingAccount(TOOLING)
                .organizationId(ORGANIZATION)
                .qualifier("shop")
                .build();

        // Tooling account: an artifact store per region (eu-west-1 serves the globex tenant).
        Stack tooling = new Stack(app, "Tooling", env(TOOLING, "us-east-1"));
        ArtifactStore store = ArtifactStore.Builder.create(tooling, "ArtifactStore").contract(contract).build();
        Stack toolingEu = new Stack(app, "ToolingEu", env(TOOLING, "eu-west-1"));
        ArtifactStore.Builder.create(toolingEu, "ArtifactStore")
                .contract(contract)
                .artifactExpiration(Duration.days(30))
                .build();
        // Tooling account: the contract's image repositories (cdkx-shop/assets for image assets), pullable in the organization.
        ContainerRegistry.Builder.create(tooling, "Registry").contract(contract).build();

        // The application the pipeline releases: no env, one template for every tenant and region. Its
        // assets go to the contract's store of the region it is deployed to; the tenants need no bootstrap.
        Stack shopApp = new Stack(app, "ShopApp", StackProps.builder()
                .synthesizer(ContractStackSynthesizer.Builder.create().contract(contract).build())
                .build());
        Function.Builder.create(shopApp, "Handler")
                .runtime(Runtime.NODEJS_20_X)
                .handler("index.handler")
                // In the app directory, where `cdk synth` and `mvn test` run.
                .code(Code.fromAsset(Path.of("lambda").toAbsolutePath().toString()))
                .build();

        // The release pipeline: Dev with an integration test step, then the tenants after an approval.
        CrossAccountPipeline.Builder.create(tooling, "Release")
                .contract(contract)
                .artifactStore(store)
                .pipelineName("shop-release")
                .source(PipelineSource.connection(ConnectionSourceProps.builder()
                        .connectionArn("arn:aws:codeconnections:us-east-1:" + TOOLING
                                + ":connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
                        .repository("acme/shop")
                        .branch("main")
                        .filePaths(List.of("services/shop/**"))
                        .build()))
                .buildOptions(PipelineBuildOptions.builder()
                        .commands(List.of("npm ci", "npm test", "npx cdk synth -o dist"))
                        .outputDirectory("dist")
                        .testReportFiles(List.of("reports/*.xml"))
                        .build())
                .deploymentKind(DeploymentKind.cloudFormation(CloudFormationDeploymentProps.builder()
                        .stackName("shop-app")
                        .templatePath("ShopApp.template.json")
                        .build()))
                // An Assets stage after the build publishes ShopApp's Lambda code once per region of the targets.
                .assetPublishing(AssetPublishingOptions.builder()
                        .manifestPaths(List.of("ShopApp.assets.json"))
                        .build())
                .stages(List.of(
                        PipelineStageOptions.builder()
                                .name("Dev")
                                .targets(List.of(DEV))
                                .verify(List.of(PipelineStep.builder()
                                        .name("IntegrationTests")
                                        .commands(List.of("npm run test:integ"))
                                        .build()))
                                .build(),
                        PipelineStageOptions.builder()
                                .name("Prod")
                                .approval(ApprovalOptions.builder().comment("Release to the tenants").build())
                                .targets(TENANTS)
                                .build(),
                        // A StackSet updated from the management account (the stage's one target, where the
                        // StackSet lives), spread to every account of the tenants' OU in two regions.
                        PipelineStageOptions.builder()
                                .name("Guardrails")
                                .targets(List.of(PipelineTarget.builder()
                                        .id("org").account(MANAGEMENT).region("us-east-1").build()))
                                .deploymentKind(DeploymentKind.stackSet(StackSetDeploymentProps.builder()
                                        .stackSetName("shop-guardrails")
                                        .templatePath("Guardrails.template.json")
                                        .organizationalUnitIds(List.of("ou-ab12-34cd56ef"))
                                        .regions(List.of("us-east-1", "eu-west-1"))
                                        .failureTolerancePercentage(10)
                                        .maxConcurrentPercentage(25)
                                        .build()))
                                .build()))
                .build();

        // Tooling account: integration tests as a job on Fargate Spot (FARGATE fallback, checkpoints),
        // started and watched by GitHub Actions of acme/shop on main. The VPC's availability zones
        // come from the context in cdk.json, so `cdk synth` still needs no credentials.
        Stack jobs = new Stack(app, "ToolingJobs", env(TOOLING, "us-east-1"));
        FargateSpotRunner.Builder.create(jobs, "IntegrationTests")
                .vpc(Vpc.Builder.create(jobs, "Vpc").maxAzs(2).build())
                .image(ContainerImage.fromRegistry("public.ecr.aws/aws-cli/aws-cli:2.17.0"))
                .command(List.of("sh", "-c", "aws sts get-caller-identity && echo running the integration tests"))
                .cpu(1024)
                .memoryLimitMiB(2048)
                .capacity(CapacityStrategy.spotWithOnDemandFallback())
                .useCheckpointWrapper(true)
                // The suite split evenly over 4 tasks: each reads RUNNER_TASK_INDEX / RUNNER_TASK_COUNT.
                .taskCount(4)
                .externalCi(GitHubOidcTrust.builder().repository("acme/shop").branch("main").build())
                .build();

        // Dev account: the web tier, code on EFS, released blue/green from a zip in S3. The VPC's
        // availability zones come from the context in cdk.json, so `cdk synth` needs no credentials.
        Stack web = new Stack(app, "Web", env(DEV.getAccount(), "us-east-1"));
        Bucket releases = Bucket.Builder.create(web, "Releases")
                .versioned(true)
                .eventBridgeEnabled(true)
                .enforceSsl(true)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .build();
        BlueGreenEfsDeploy.Builder.create(web, "MarketingSite")
                .releaseName("shop-web")
                .source(PipelineSource.s3(S3SourceProps.builder()
                        .bucket(releases)
                        .objectKey("web/site.zip")
                        .build()))
                .contentBuild(ContentBuildOptions.builder()
                        .commands(List.of("npm ci", "npm run build"))
                        .outputDirectory("dist")
                        .build())
                .healthCheckPath("/health.html")
                .terminationWaitTime(Duration.minutes(120))
                .hookCommands(BlueGreenHookCommands.builder()
                        .afterInstall(List.of("systemctl reload nginx"))
                        .build())
                // An example without a domain: plain HTTP on purpose. A real site passes
                // .certificate(...) (an ACM certificate) instead: HTTPS, and HTTP redirects.
                .allowPlaintextHttp(true)
                .build();

        // Target accounts: the action role and the CloudFormation execution role.
        List<PipelineTarget> targets = new ArrayList<>(List.of(DEV));
        targets.addAll(TENANTS);
        for (PipelineTarget target : targets) {
            Stack stack = new Stack(app, "Target-" + target.getId(), env(target.getAccount(), target.getRegion()));
            TenantDeploymentRole.Builder roles = TenantDeploymentRole.Builder.create(stack, "DeploymentRoles")
                    .contract(contract)
                    .executionRoleStatements(List.of(PolicyStatement.Builder.create()
                            .actions(List.of("sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes"))
                            .resources(List.of("arn:aws:sns:*:" + target.getAccount() + ":shop-*"))
                            .build()))
                    // The action role may also roll new code out to the contract's Lambda functions.
                    .permissions(List.of(DeploymentPermissions.lambdaUpdate()));
            if (target.getId().equals("dev")) {
                roles.gitHubOidc(GitHubOidcTrust.builder().repository("acme/shop").branch("main").build());
            }
            roles.build();
        }

        // Management account: its own deployment roles, whose action role may administer the
        // contract's StackSets (the pipeline's Guardrails stage).
        Stack managementRoles = new Stack(app, "Target-management", env(MANAGEMENT, "us-east-1"));
        TenantDeploymentRole.Builder.create(managementRoles, "DeploymentRoles")
                .contract(contract)
                .stackSetAdministration(StackSetAdministrationPermissions.builder().build())
                .build();

        // Management account: the same roles rolled out by a StackSet to every account of an OU.
        Stack management = new Stack(app, "TenantRolesRollout", env(MANAGEMENT, "us-east-1"));
        TenantDeploymentRoleStackSet.Builder.create(management, "TenantRoles")
                .contract(contract)
                .organizationalUnitIds(List.of("ou-ab12-34cd56ef"))
                .executionRoleManagedPolicyArns(List.of("arn:aws:iam::aws:policy/AmazonSNSFullAccess"))
                .build();
        return app;
    }

    private static StackProps env(String account, String region) {
        return StackProps.builder().env(Environment.builder().account(account).region(region).build()).build();
    }

    public static void main(final String[] args) {
        build(null).synth();
    }
}
