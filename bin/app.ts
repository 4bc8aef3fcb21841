#!/usr/bin/env node
/** CDK entry: see lib/app.ts. */
import { createApp } from '../lib/app.ts';

createApp();
