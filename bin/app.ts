#!/usr/bin/env node
/** CDK entry: the SupportAccess stack, checked by cdk-nag's AWS Solutions rules on every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SupportAccessStack } from '../lib/support-access-stack.ts';

const app = new App();
new SupportAccessStack(app, 'SupportAccess', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
