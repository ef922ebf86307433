import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readDeployment } from '../lib/context';
import { TrailbotStack } from '../lib/trailbot-stack';

/** The smallest valid context: one account, one region, and the (required) access policy, here `open`. */
export const SINGLE_TRAIL_CONTEXT = {
  trailBucket: 'acme-cloudtrail',
  accounts: '111122223333',
  regions: 'us-east-1',
  accessPolicy: 'open',
} as const;

export interface Synthesized {
  stack: TrailbotStack;
  template: Template;
  /** The cloud assembly folder (template, asset manifest, staged assets). */
  outdir: string;
  /** Removes the cloud assembly (template, staged assets) written under os.tmpdir(). */
  cleanup(): void;
}

/**
 * Synthesizes the stack as `cdk synth` would: the feature flags from infra/cdk.json plus the given context, into a
 * temporary cloud assembly. No AWS credentials, no network, no Docker (an image asset is only hashed and staged).
 */
export function synthesize(context: Record<string, unknown>): Synthesized {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailbot-cdk-'));
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
    const stack = new TrailbotStack(app, 'Trailbot', { deployment: readDeployment(app.node) });
    const template = Template.fromStack(stack);
    return { stack, template, outdir, cleanup: () => fs.rmSync(outdir, { recursive: true, force: true }) };
  } catch (err) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}

/** One resource's properties, for a type that must appear exactly once. */
export function onlyResource(template: Template, type: string): Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  return (resources[0] as { Properties: Record<string, unknown> }).Properties;
}

/** Logical id of an L2 construct's CloudFormation resource, as it appears in the template. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/**
 * The bot container's plain environment from the template, with the two deploy-time values (the region and the
 * generated table name) filled in as CloudFormation would, so it can be fed to src/config's loadConfig.
 */
export function deployedEnvironment(
  template: Template,
  deployed: { region: string; tableName: string },
): Record<string, string> {
  const [container] = onlyResource(template, 'AWS::ECS::TaskDefinition').ContainerDefinitions as {
    Environment: { Name: string; Value: unknown }[];
  }[];
  const env: Record<string, string> = {};
  for (const { Name, Value } of container!.Environment) {
    if (typeof Value === 'string') env[Name] = Value;
    else if (JSON.stringify(Value) === JSON.stringify({ Ref: 'AWS::Region' })) env[Name] = deployed.region;
    else if (Name === 'TRAIL_TABLE') env[Name] = deployed.tableName;
    else throw new Error(`${Name} has an unexpected deploy-time value ${JSON.stringify(Value)}`);
  }
  return env;
}

/** What ECS injects from the Slack secret once the real tokens are stored (shapes only; not real tokens). */
export const SLACK_SECRET_VALUES = {
  SLACK_BOT_TOKEN: 'xoxb-0000000000-0000000000000-placeholderplaceholder',
  SLACK_APP_TOKEN: 'xapp-1-A0000000000-0000000000000-placeholder',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
} as const;
