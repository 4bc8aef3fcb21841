/**
 * The CDK app as `cdk synth` builds it: the SupportAccess stack, checked by two validation
 * plugins (a finding of either fails the synth): cdk-nag's AWS Solutions rules, and the AWS
 * Control Tower proactive controls as CfnGuard rules (`@cdklabs/cdk-validator-cfnguard`, offline).
 * `bin/app.ts` calls this, and the template tests call it too, so they check what is deployed.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SupportAccessStack } from './support-access-stack.ts';

export interface CreateAppOptions {
  /**
   * Run the Control Tower CfnGuard rules. They cost about 15 s of CPU per synth (every rule file
   * of every control is parsed), so the template tests turn them off except in the one test that
   * checks them. @default true
   */
  controlTower?: boolean;
  /**
   * The stack's region. `cdk synth` passes the CLI's default region (`CDK_DEFAULT_REGION`), which
   * turns some ARNs from tokens into strings; the tests pass one to check that form too.
   * @default process.env.CDK_DEFAULT_REGION
   */
  region?: string | undefined;
}

export function createApp(props: AppProps = {}, options: CreateAppOptions = {}): { app: App; stack: SupportAccessStack } {
  const app = new App(props);
  const stack = new SupportAccessStack(app, 'SupportAccess', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: options.region ?? process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.controlTower ?? true) Validations.of(app).addPlugins(new CfnGuardValidator({ controlTowerRulesEnabled: true }));
  return { app, stack };
}
