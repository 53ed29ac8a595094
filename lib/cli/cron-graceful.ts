#!/usr/bin/env node
// cron-graceful: stop cron without cutting its running jobs short (see lib/apps/cron.ts).
import { cronGraceful } from '../../index'
import { runProgram } from '../apps/program'

export const main = cronGraceful

if (require.main === module) runProgram('cron-graceful', main)
