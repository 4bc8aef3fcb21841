/**
 * The CDK app as `cdk synth` builds it: the SupportAccess stack, checked by cdk-nag's AWS
 * Solutions rules as a validation plugin (a finding fails the synth). `bin/app.ts` calls this, and
 * the template tests call it too, so they check exactly what is deployed.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SupportAccessStack } from './support-access-stack.ts';

export function createApp(props: AppProps = {}): { app: App; stack: SupportAccessStack } {
  const app = new App(props);
  const stack = new SupportAccessStack(app, 'SupportAccess', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator({ controlTowerRulesEnabled: true }));
  return { app, stack };
}
