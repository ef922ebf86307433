import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** JSON keys of the Slack secret; each becomes the environment variable of the same name inside the task. */
export const SLACK_SECRET_FIELDS = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'] as const;

export interface BotServiceProps {
  /** Folder with the Dockerfile (the repository root). */
  imageDirectory: string;
  /** Plain settings (no secrets): TRAIL_* and AWS_REGION. */
  environment: Record<string, string>;
  /** The Slack tokens, as a JSON secret with SLACK_SECRET_FIELDS. */
  slackSecret: secretsmanager.ISecret;
  /** What the bot itself may do (task role). */
  policyStatements: iam.PolicyStatement[];
  desiredCount: number;
  network: 'private' | 'public';
  logRetention: logs.RetentionDays;
}

/** Paths the read-only container may write: temp files, and CSV results before upload (plus the health file). */
const WRITABLE_PATHS = { tmp: '/tmp', results: '/app/results' } as const;

/**
 * The bot as one long-running Fargate task. A long-running process rather than Lambda because the bot holds a Socket
 * Mode WebSocket open (no inbound port, no public endpoint), polls Athena for minutes per question and runs the
 * scheduler tick; Lambda would need an HTTP endpoint for Slack plus a queue and a timer to do the same.
 *
 * Network: no inbound rule at all; outbound only 443 (Slack's WebSocket and the AWS APIs). S3 and DynamoDB go
 * through free gateway endpoints, so Athena results and table traffic do not cross the NAT gateway.
 */
export class BotService extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: BotServiceProps) {
    super(scope, id);
    const isPrivate = props.network === 'private';

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      // Kept on update and delete, but removed when the create that made it rolls back (RetainExceptOnCreate).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // One NAT gateway is the price of "no public IP on the task" (network=private); network=public skips it.
      natGateways: isPrivate ? 1 : 0,
      subnetConfiguration: isPrivate
        ? [
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
            { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
          ]
        : [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // The default security group allows traffic between its members; nothing here uses it, so it gets no rules.
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'trailbot task: no inbound; outbound HTTPS only (Slack Socket Mode, AWS APIs)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Slack and AWS APIs');

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      // I/O-bound: Slack, Athena polling, DynamoDB; results are paged, not held whole.
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [{ name: 'tmp' }, { name: 'results' }],
    });
    for (const statement of props.policyStatements) this.taskDefinition.addToTaskRolePolicy(statement);

    const secrets: Record<string, ecs.Secret> = {};
    for (const field of SLACK_SECRET_FIELDS) secrets[field] = ecs.Secret.fromSecretsManager(props.slackSecret, field);

    this.container = this.taskDefinition.addContainer('bot', {
      // Built by `cdk deploy` from the repository's Dockerfile. Synth only hashes the folder (no Docker needed).
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, { platform: Platform.LINUX_AMD64 }),
      environment: props.environment,
      secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'trailbot' }),
      readonlyRootFilesystem: true,
      // tini as PID 1: forwards SIGTERM, on which the bot stops taking questions, releases the leases it holds (so the
      // replacing task claims them at once) and exits. That takes one status poll (at most 5 s) plus closing the
      // Slack connection; 30 s leaves room for a CSV upload in flight before ECS sends SIGKILL.
      linuxParameters: new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      stopTimeout: Duration.seconds(30),
      // The bot touches a file in the results volume every 30 s (src/health.ts), also while it waits for its Slack
      // tokens on the first deploy, so the deployment circuit breaker sees a healthy task, not a crash loop.
      healthCheck: {
        command: ['CMD', 'node', 'dist/src/health.js'],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
    });
    this.container.addMountPoints(
      { sourceVolume: 'tmp', containerPath: WRITABLE_PATHS.tmp, readOnly: false },
      { sourceVolume: 'results', containerPath: WRITABLE_PATHS.results, readOnly: false },
    );

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      // A deploy starts the new task before stopping the old one; two bots at once are safe (conditional writes).
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      assignPublicIp: !isPrivate,
      vpcSubnets: { subnetType: isPrivate ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
      securityGroups: [this.securityGroup],
      enableExecuteCommand: false,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });
  }
}
