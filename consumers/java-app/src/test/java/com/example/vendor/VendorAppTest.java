package com.example.vendor;

import static com.example.vendor.VendorApp.ORGANIZATION;
import static com.example.vendor.VendorApp.TOOLING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.cdkcrossaccountcicd.ArtifactStore;
import io.github.cdkcrossaccountcicd.BlueGreenEfsDeploy;
import io.github.cdkcrossaccountcicd.DeploymentContract;
import io.github.cdkcrossaccountcicd.PipelineSource;
import io.github.cdkcrossaccountcicd.S3SourceProps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;
import software.amazon.awscdk.services.s3.Bucket;

/** Asserts on the templates VendorApp synthesizes through the Java bindings. */
class VendorAppTest {
    @TempDir
    static Path outdir;
    static App app;

    @BeforeAll
    static void synth() {
        app = VendorApp.build(outdir.toString());
    }

    static Template template(String stackId) {
        return Template.fromStack((Stack) app.getNode().findChild(stackId));
    }

    /** The Fn::Join CDK renders for {@code arn:${Partition}<rest>}. */
    static Map<String, Object> partitionArn(String rest) {
        return Map.of("Fn::Join", List.of("", List.of("arn:", Map.of("Ref", "AWS::Partition"), rest)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Target-dev", "Target-acme", "Target-globex"})
    void tenantActionRoleTrustsThePipelinePathAndItsOwnDeployersInTheOrganization(String stackId) {
        Object trustStatement = Match.objectLike(Map.of(
                "Action", "sts:AssumeRole",
                "Principal", Map.of("AWS", partitionArn(":iam::" + TOOLING + ":root")),
                "Condition", Match.objectLike(Map.of(
                        // The pipeline path, and the CodeBuild deployers of this account only.
                        "ArnLike", Map.of("aws:PrincipalArn", Match.arrayWith(List.of(partitionArn(":iam::" + TOOLING + ":role/cdkx-shop/*")))),
                        "StringEquals", Match.objectLike(Map.of("aws:PrincipalOrgID", ORGANIZATION))))));
        template(stackId).hasResourceProperties("AWS::IAM::Role", Map.of(
                "RoleName", "cdkx-shop-deploy-action",
                "AssumeRolePolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(trustStatement))))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Target-dev", "Target-acme", "Target-globex"})
    void tenantExecutionRoleIsAssumedByCloudFormation(String stackId) {
        template(stackId).hasResourceProperties("AWS::IAM::Role", Map.of(
                "RoleName", "cdkx-shop-cfn-exec",
                "AssumeRolePolicyDocument", Match.objectLike(Map.of("Statement", List.of(Match.objectLike(
                        Map.of("Principal", Map.of("Service", "cloudformation.amazonaws.com"))))))));
    }

    @ParameterizedTest
    @CsvSource({"Tooling,us-east-1", "ToolingEu,eu-west-1"})
    void artifactKeyAdmitsTenantRolesOfTheOrganizationThroughS3(String stackId, String region) {
        Template t = template(stackId);
        t.hasResourceProperties("AWS::S3::Bucket",
                Map.of("BucketName", "cdkx-shop-artifacts-" + TOOLING + "-" + region));
        Object tenantStatement = Match.objectLike(Map.of(
                "Principal", Map.of("AWS", "*"),
                "Condition", Match.objectLike(Map.of(
                        "ArnLike", Map.of("aws:PrincipalArn",
                                Match.arrayWith(List.of(partitionArn(":iam::*:role/cdkx-shop-deploy-action")))),
                        "StringEquals", Match.objectLike(Map.of(
                                "aws:PrincipalOrgID", ORGANIZATION,
                                "kms:ViaService", "s3." + region + ".amazonaws.com"))))));
        t.hasResourceProperties("AWS::KMS::Key", Map.of(
                "EnableKeyRotation", true,
                "KeyPolicy", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(tenantStatement))))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void releasePipelineDeploysDevThenTenantsAfterApproval() {
        Template t = template("Tooling");
        t.resourceCountIs("AWS::CodePipeline::Pipeline", 1);
        Map<String, Object> pipeline = (Map<String, Object>) t.findResources("AWS::CodePipeline::Pipeline")
                .values().iterator().next().get("Properties");
        assertEquals("shop-release", pipeline.get("Name"));
        List<String> stages = ((List<Map<String, Object>>) pipeline.get("Stages")).stream()
                .map(s -> (String) s.get("Name")).collect(Collectors.toList());
        assertEquals(List.of("Source", "Build", "Assets", "Dev-Wave-1-of-1", "Verify-Dev", "Approve-Prod", "Prod-Wave-1-of-1",
                "Guardrails-Wave-1-of-1"), stages);
    }

    @Test
    @SuppressWarnings("unchecked")
    void guardrailsStageUpdatesAStackSetFromTheManagementAccount() {
        Map<String, Object> pipeline = (Map<String, Object>) template("Tooling").findResources("AWS::CodePipeline::Pipeline")
                .values().iterator().next().get("Properties");
        List<Map<String, Object>> actions = ((List<Map<String, Object>>) pipeline.get("Stages")).stream()
                .flatMap(s -> ((List<Map<String, Object>>) s.get("Actions")).stream())
                .filter(a -> "CloudFormationStackSet".equals(((Map<String, Object>) a.get("ActionTypeId")).get("Provider")))
                .collect(Collectors.toList());
        assertEquals(1, actions.size());
        Map<String, Object> config = (Map<String, Object>) actions.get(0).get("Configuration");
        assertEquals("shop-guardrails", config.get("StackSetName"));
        assertEquals("SERVICE_MANAGED", config.get("PermissionModel"));
        assertEquals("ou-ab12-34cd56ef", config.get("DeploymentTargets"));
        assertEquals("us-east-1,eu-west-1", config.get("Regions"));
        assertTrue(String.valueOf(actions.get(0).get("RoleArn")).contains(":iam::999999999999:role/cdkx-shop-deploy-action"));
        template("Target-management").hasResourceProperties("AWS::IAM::Policy", Map.of(
                "PolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Sid", "AdministerContractStackSets",
                        "Action", Match.arrayWith(List.of("cloudformation:UpdateStackSet", "cloudformation:CreateStackInstances"))))))))));
    }

    @Test
    void stackSetRollsOutBothRolesServiceManaged() {
        template("TenantRolesRollout").hasResourceProperties("AWS::CloudFormation::StackSet", Map.of(
                "PermissionModel", "SERVICE_MANAGED",
                "TemplateBody", Match.stringLikeRegexp("cdkx-shop-deploy-action")));
    }

    @Test
    void fargateSpotRunnerRunsTheJobFromAStateMachine() {
        Template t = template("ToolingJobs");
        t.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        t.hasResourceProperties("AWS::ECS::TaskDefinition", Map.of(
                "Cpu", "1024",
                "Memory", "2048",
                "ContainerDefinitions", List.of(Match.objectLike(Map.of(
                        "Image", "public.ecr.aws/aws-cli/aws-cli:2.17.0",
                        "StopTimeout", 120)))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void fargateSpotRunnerSplitsTheJobOverTaskCountTasks() {
        // taskCount(4): one Map iteration per task index, 0 to 3.
        Map<String, Map<String, Object>> machines = template("ToolingJobs").findResources("AWS::StepFunctions::StateMachine");
        assertEquals(1, machines.size());
        Object d = ((Map<String, Object>) machines.values().iterator().next().get("Properties")).get("DefinitionString");
        String definition = d instanceof String ? (String) d
                : ((List<Object>) ((List<Object>) ((Map<String, Object>) d).get("Fn::Join")).get(1)).stream()
                        .filter(p -> p instanceof String).map(p -> (String) p).collect(Collectors.joining());
        assertTrue(definition.contains("\"Type\":\"Map\""), "the runner does not split the job over a Map state");
        assertTrue(definition.contains("\"taskIndexes\":[0,1,2,3]"), "the runner does not split the job over 4 tasks");
    }

    @Test
    void fargateSpotRunnerClusterHasFargateAndFargateSpot() {
        template("ToolingJobs").hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", Map.of(
                "CapacityProviders", Match.arrayWith(List.of("FARGATE", "FARGATE_SPOT"))));
    }

    @Test
    void fargateSpotRunnerExternalCiTrustPinsTheGitHubSubject() {
        template("ToolingJobs").hasResourceProperties("AWS::IAM::Role", Map.of(
                "AssumeRolePolicyDocument", Match.objectLike(Map.of("Statement", List.of(Match.objectLike(Map.of(
                        "Action", "sts:AssumeRoleWithWebIdentity",
                        "Condition", Map.of("StringEquals", Map.of(
                                "token.actions.githubusercontent.com:aud", "sts.amazonaws.com",
                                "token.actions.githubusercontent.com:sub", "repo:acme/shop:ref:refs/heads/main")))))))));
    }

    @Test
    void badInputFailsAtSynthWithThePropertyAndTheFix() {
        Stack stack = new Stack(new App(), "Tooling", StackProps.builder()
                .env(software.amazon.awscdk.Environment.builder().account(TOOLING).region("us-east-1").build())
                .build());
        DeploymentContract contract = DeploymentContract.Builder.create()
                .toolingAccount(TOOLING).qualifier("Shop_X").build();
        RuntimeException error = assertThrows(RuntimeException.class,
                () -> ArtifactStore.Builder.create(stack, "ArtifactStore").contract(contract).build());
        assertTrue(error.getMessage().contains("contract.qualifier = \"Shop_X\""), error.getMessage());
        assertTrue(error.getMessage().contains("Fix:"), error.getMessage());
    }

    @Test
    void blueGreenDeploymentGroupKeepsTheOldFleetAndRollsBackOnAlarms() {
        Template t = template("Web");
        t.resourceCountIs("Custom::Ec2BlueGreenDeploymentGroup", 1);
        t.hasResourceProperties("Custom::Ec2BlueGreenDeploymentGroup", Map.of(
                "ApplicationName", "shop-web",
                "DeploymentGroupName", "shop-web-bluegreen",
                "TerminationWaitTimeInMinutes", "120",
                "AutoRollbackEvents", Match.arrayWith(List.of("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void blueGreenPipelineIsQueuedAndPublishesBeforeDeploying() {
        Template t = template("Web");
        t.resourceCountIs("AWS::CodePipeline::Pipeline", 1);
        Map<String, Object> pipeline = (Map<String, Object>) t.findResources("AWS::CodePipeline::Pipeline")
                .values().iterator().next().get("Properties");
        assertEquals("shop-web-release", pipeline.get("Name"));
        assertEquals("QUEUED", pipeline.get("ExecutionMode"));
        List<Map<String, Object>> stages = (List<Map<String, Object>>) pipeline.get("Stages");
        Map<String, Object> source = ((List<Map<String, Object>>) stages.get(0).get("Actions")).get(0);
        String bucketId = t.findResources("AWS::S3::Bucket").keySet().stream()
                .filter(id -> id.startsWith("Releases")).findFirst().orElseThrow();
        assertEquals("S3", ((Map<String, Object>) source.get("ActionTypeId")).get("Provider"));
        assertEquals(Map.of("Ref", bucketId), ((Map<String, Object>) source.get("Configuration")).get("S3Bucket"));
        assertEquals("web/site.zip", ((Map<String, Object>) source.get("Configuration")).get("S3ObjectKey"));
        List<String> steps = ((List<Map<String, Object>>) stages.get(stages.size() - 1).get("Actions")).stream()
                .map(a -> ((Number) a.get("RunOrder")).intValue() + ":" + ((Map<String, Object>) a.get("ActionTypeId")).get("Provider"))
                .sorted().collect(Collectors.toList());
        assertEquals(List.of("1:CodeBuild", "2:CodeDeploy"), steps);
        t.hasResourceProperties("AWS::CodeBuild::Project", Map.of(
                "Source", Match.objectLike(Map.of("BuildSpec", Match.stringLikeRegexp("npm run build")))));
    }

    @Test
    void blueGreenContentIsOnEncryptedEfsBehindImdsv2Instances() {
        Template t = template("Web");
        t.resourceCountIs("AWS::EFS::FileSystem", 1);
        t.hasResourceProperties("AWS::EFS::FileSystem", Map.of("Encrypted", true));
        t.hasResourceProperties("AWS::EC2::LaunchTemplate", Map.of(
                "LaunchTemplateData", Match.objectLike(Map.of(
                        "MetadataOptions", Match.objectLike(Map.of("HttpTokens", "required"))))));
        t.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Map.of("HealthCheckPath", "/health.html"));
    }

    @Test
    void blueGreenReleaseBundleRunsTheHookCommand() throws IOException {
        CloudAssembly assembly = app.synth();
        // The hook command travels in the release-tools asset (the scripts the library ships plus
        // the generated hooks), not in the template: find the asset directory holding the bundle.
        List<Path> bundles;
        try (Stream<Path> found = Files.find(Path.of(assembly.getDirectory()), 3,
                (p, attrs) -> attrs.isDirectory() && p.getFileName().toString().equals("bundle")
                        && Files.exists(p.resolve("appspec.yml")))) {
            bundles = found.collect(Collectors.toList());
        }
        assertEquals(1, bundles.size(), "expected one release bundle in the assembly, got " + bundles);
        Path bundle = bundles.get(0);
        assertTrue(Files.readString(bundle.resolve("hooks/user-AfterInstall.sh")).contains("systemctl reload nginx"));
        assertTrue(Files.readString(bundle.resolve("appspec.yml")).contains("hooks/user-AfterInstall.sh"));
        assertTrue(Files.readString(bundle.resolve("settings.env")).contains("CDKX_HEALTH_CHECK_PATH='/health.html'"));
        for (String script : List.of("hooks/switch-color.sh", "hooks/validate-service.sh", "../release-tools/sync-release.sh")) {
            assertTrue(Files.readString(bundle.resolve(script)).startsWith("#!"), "the jar did not ship " + script);
        }
    }

    @Test
    void blueGreenBadHealthCheckPathFailsAtSynthWithTheFix() {
        Stack stack = new Stack(new App(), "Web", StackProps.builder()
                .env(software.amazon.awscdk.Environment.builder().account("222222222222").region("us-east-1").build())
                .build());
        Bucket releases = Bucket.Builder.create(stack, "Releases").build();
        RuntimeException error = assertThrows(RuntimeException.class,
                () -> BlueGreenEfsDeploy.Builder.create(stack, "MarketingSite")
                        .source(PipelineSource.s3(S3SourceProps.builder().bucket(releases).objectKey("web/site.zip").build()))
                        .healthCheckPath("health.html")
                        .build());
        assertTrue(error.getMessage().contains("healthCheckPath = \"health.html\""), error.getMessage());
        assertTrue(error.getMessage().contains("Fix:"), error.getMessage());
    }

    // ShopApp, synthesized with the contract's synthesizer: one env-agnostic template for every tenant.
    static final String SHOP_BUCKET = "cdkx-shop-artifacts-" + TOOLING + "-${AWS::Region}";

    @Test
    @SuppressWarnings("unchecked")
    void shopAppNeedsNoBootstrapAndReadsItsCodeFromTheStoreOfItsRegion() {
        Template t = template("ShopApp");
        Map<String, Object> json = (Map<String, Object>) t.toJSON();
        assertFalse(((Map<String, Object>) json.getOrDefault("Parameters", Map.of())).containsKey("BootstrapVersion"));
        assertFalse(((Map<String, Object>) json.getOrDefault("Rules", Map.of())).containsKey("CheckBootstrapVersion"));
        t.resourceCountIs("AWS::Lambda::Function", 1);
        t.hasResourceProperties("AWS::Lambda::Function", Map.of(
                "Code", Map.of(
                        "S3Bucket", Map.of("Fn::Sub", SHOP_BUCKET),
                        "S3Key", Match.stringLikeRegexp("^assets/"))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void shopAppAssetManifestPublishesTheCodeToTheContractStoreUnderAssets() throws IOException {
        CloudAssembly assembly = app.synth();
        Map<String, Object> manifest = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                Path.of(assembly.getDirectory(), "ShopApp.assets.json").toFile(), Map.class);
        List<Map<String, Object>> code = ((Map<String, Map<String, Object>>) manifest.get("files")).values().stream()
                .filter(a -> "zip".equals(((Map<String, Object>) a.get("source")).get("packaging")))
                .collect(Collectors.toList());
        assertEquals(1, code.size(), "expected one zip asset (the Lambda code) in ShopApp.assets.json");
        List<Map<String, Object>> destinations = new java.util.ArrayList<>(
                ((Map<String, Map<String, Object>>) code.get(0).get("destinations")).values());
        assertEquals(1, destinations.size());
        assertEquals(SHOP_BUCKET, destinations.get(0).get("bucketName"));
        assertTrue(String.valueOf(destinations.get(0).get("objectKey")).startsWith("assets/"), destinations.toString());
    }

    @Test
    void registryHasTheImageAssetsRepositoryWithImmutableTags() {
        Template t = template("Tooling");
        t.resourceCountIs("AWS::ECR::Repository", 1);
        t.hasResourceProperties("AWS::ECR::Repository", Map.of(
                "RepositoryName", "cdkx-shop/assets",
                "ImageTagMutability", "IMMUTABLE"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void assetsStagePublishesOncePerRegionOfTheTargets() {
        Map<String, Object> pipeline = (Map<String, Object>) template("Tooling").findResources("AWS::CodePipeline::Pipeline")
                .values().iterator().next().get("Properties");
        Map<String, Object> assets = ((List<Map<String, Object>>) pipeline.get("Stages")).stream()
                .filter(s -> "Assets".equals(s.get("Name"))).findFirst().orElseThrow();
        // The targets' regions: dev, acme and org (management) in us-east-1, globex in eu-west-1.
        TreeSet<String> regions = new TreeSet<>(List.of(VendorApp.DEV.getRegion(), "us-east-1" /* the org target */));
        VendorApp.TENANTS.forEach(target -> regions.add(target.getRegion()));
        assertEquals(2, regions.size());
        List<String> expected = regions.stream().map(r -> "Publish-" + r + "/CodeBuild").collect(Collectors.toList());
        List<String> actions = ((List<Map<String, Object>>) assets.get("Actions")).stream()
                .map(a -> a.get("Name") + "/" + ((Map<String, Object>) a.get("ActionTypeId")).get("Provider"))
                .sorted().collect(Collectors.toList());
        assertEquals(expected, actions);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Target-dev", "Target-acme", "Target-globex"})
    void lambdaUpdatePresetIsOnTheActionRole(String stackId) {
        Template t = template(stackId);
        Map<String, Map<String, Object>> roles = t.findResources("AWS::IAM::Role",
                Map.of("Properties", Map.of("RoleName", "cdkx-shop-deploy-action")));
        assertEquals(1, roles.size());
        t.hasResourceProperties("AWS::IAM::Policy", Map.of(
                "Roles", List.of(Map.of("Ref", roles.keySet().iterator().next())),
                "PolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Sid", "ShiftContractLambdaAliases",
                        "Action", Match.arrayWith(List.of("lambda:UpdateAlias", "lambda:UpdateFunctionCode"))))))))));
    }
}
